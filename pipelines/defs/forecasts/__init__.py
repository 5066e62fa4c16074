"""Rolling forecasts of bookings and collections: the ``forecasts`` warehouse schema."""
