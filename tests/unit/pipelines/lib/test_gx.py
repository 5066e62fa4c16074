import dagster as dg

from expectations.rules import Severity
from expectations.validation import FailedRow, RuleOutcome
from pipelines.lib.gx import BLOCKING_CHECK, WARNING_CHECK, check_results, check_specs

KEY = dg.AssetKey("erp_payments_raw")


def outcome(rule: str, severity: Severity, failed: int = 0, success: bool = True) -> RuleOutcome:
    failures = [
        FailedRow("2026-03/erp/payments.parquet", row, "amount", 0.0) for row in range(failed)
    ]
    return RuleOutcome(
        rule=rule,
        severity=severity,
        description=f"{rule} holds.",
        hint="fix it",
        expectation="expect_column_values_to_be_between",
        column="amount",
        evaluated=10,
        failed=failed,
        success=success,
        failures=failures,
    )


def results(*outcomes: RuleOutcome, refusal: str | None = None) -> dict[str, dg.AssetCheckResult]:
    return {r.check_name: r for r in check_results(KEY, list(outcomes), refusal=refusal)}


def test_the_blocking_check_blocks_and_the_warning_check_does_not():
    specs = {spec.name: spec for spec in check_specs(KEY)}
    assert specs[BLOCKING_CHECK].blocking
    assert not specs[WARNING_CHECK].blocking


def test_clean_outcomes_pass_both_checks():
    checks = results(
        outcome("amount_non_negative", Severity.BLOCKING),
        outcome("amount_positive", Severity.WARNING),
    )
    assert checks[BLOCKING_CHECK].passed
    assert checks[WARNING_CHECK].passed
    assert checks[WARNING_CHECK].metadata["quarantined_rows"].value == 0


def test_a_failed_blocking_rule_fails_the_blocking_check_with_error_severity():
    checks = results(outcome("amount_non_negative", Severity.BLOCKING, failed=2, success=False))
    check = checks[BLOCKING_CHECK]
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["failed_rules"].value == ["amount_non_negative"]
    assert "2026-03/erp/payments.parquet row 0" in check.metadata["rules"].value


def test_quarantined_rows_fail_only_the_warning_check():
    checks = results(outcome("amount_positive", Severity.WARNING, failed=3))
    assert checks[BLOCKING_CHECK].passed
    assert not checks[WARNING_CHECK].passed
    assert checks[WARNING_CHECK].severity == dg.AssetCheckSeverity.WARN
    assert checks[WARNING_CHECK].metadata["quarantined_rows"].value == 3


def test_a_warning_rule_beyond_its_tolerance_blocks():
    checks = results(outcome("amount_positive", Severity.WARNING, failed=8, success=False))
    assert not checks[BLOCKING_CHECK].passed
    assert checks[BLOCKING_CHECK].metadata["failed_rules"].value == ["amount_positive"]


def test_a_refused_load_fails_the_blocking_check_with_its_message():
    checks = results(refusal="2026-03/erp/payments.parquet is empty")
    assert not checks[BLOCKING_CHECK].passed
    assert checks[BLOCKING_CHECK].description == "2026-03/erp/payments.parquet is empty"
