import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from demodata.erp import split_cents

totals = st.lists(st.integers(0, 10**12), min_size=1, max_size=20)


@given(totals, st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_split_cents_is_exact_and_never_negative(values, parts, seed):
    rng = np.random.default_rng(seed)
    total = np.array(values, dtype=np.int64)
    weights = rng.random((total.size, parts)) * (rng.random((total.size, parts)) < 0.8)
    weights[:, 0] += 1e-9  # at least one positive weight per row
    split = split_cents(total, weights)
    assert (split.sum(axis=1) == total).all()
    assert (split >= 0).all()
    assert (split[weights == 0] == 0).all()


def test_split_cents_follows_the_weights_within_one_cent():
    split = split_cents(np.array([100_00, 1]), np.array([[0.4, 0.3, 0.3], [1.0, 1.0, 1.0]]))
    assert split.tolist() == [[40_00, 30_00, 30_00], [1, 0, 0]]


def test_invoices_cover_each_order_and_payments_never_exceed_invoices(small_business):
    ledger = small_business.ledger
    lines = ledger.order_lines.groupby("order")["net_cents"].sum()
    invoiced = ledger.invoices.groupby("order")["amount_cents"].sum()
    # Installments due after the end of the data are not invoiced yet.
    assert (invoiced <= lines.reindex(invoiced.index)).all()
    assert (invoiced == lines.reindex(invoiced.index)).mean() > 0.9
    paid = ledger.payments.groupby("invoice")["amount_cents"].sum()
    assert (paid <= ledger.invoices["amount_cents"].reindex(paid.index)).all()
    assert (ledger.invoices["due_day"] > ledger.invoices["invoice_day"]).all()
    payments = pd.merge(
        ledger.payments, ledger.invoices, left_on="invoice", right_index=True, how="left"
    )
    assert (payments["paid_day"] > payments["invoice_day"]).all()
