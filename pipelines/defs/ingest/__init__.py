"""Ingestion: one partitioned asset per canonical entity, its checks and ``ingest_job``."""
