"""Publication of the plan version: the BI tables, switched atomically for readers."""

# No `from __future__ import annotations`: Dagster reads the context and resource parameter
# annotations at definition time.
import dagster as dg
import duckdb
from pydantic import Field

from pipelines.defs.resources import WAREHOUSE_POOL, HomeResource, WarehouseResource
from pipelines.partitions import AS_OF_MONTHS, month_of
from planning.config import load_config
from publishing.contract import PUBLISHED_TABLES, check_contract
from publishing.notify import send_alerts
from publishing.publish import publish
from publishing.report import render_report
from publishing.workbooks import write_manager_workbooks
from salesplan.months import parse_month

# Every published table is built by one upstream asset of the same name (dbt marts, the
# forecast assets and the plan version); publication waits for all of them and their checks.
PUBLISHED_SOURCES = [dg.AssetKey(table.name) for table in PUBLISHED_TABLES]


@dg.asset(
    group_name="publishing",
    kinds={"duckdb", "parquet"},
    deps=PUBLISHED_SOURCES,
    partitions_def=AS_OF_MONTHS,
    pool=WAREHOUSE_POOL,
)
def bi_publication(
    context: dg.AssetExecutionContext, home: HomeResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """published/: the as-of version of every BI table, one snapshot switched in atomically."""
    as_of_month = month_of(context.partition_key)
    with warehouse.connect() as connection:
        publication = publish(
            connection,
            home.home.published,
            parse_month(as_of_month),
            PUBLISHED_TABLES,
            check_schema=check_contract,
        )
    context.log.info(f"published {as_of_month} as {publication.snapshot.name}")
    return dg.MaterializeResult(
        metadata={
            "as_of_month": as_of_month,
            "snapshot": dg.MetadataValue.path(str(publication.snapshot)),
            "serving_file": dg.MetadataValue.path(str(home.home.published / "salesplan.duckdb")),
            "rows_this_version": dg.MetadataValue.json(publication.row_counts),
        }
    )


class ReportConfig(dg.Config):
    """Which language the leadership report is written in (``salesplan run --lang``)."""

    lang: str = "zh"


@dg.asset(
    group_name="publishing", kinds={"html"}, deps=[bi_publication], partitions_def=AS_OF_MONTHS
)
def leadership_report(
    context: dg.AssetExecutionContext, config: ReportConfig, home: HomeResource
) -> dg.MaterializeResult:
    """reports/<YYYY-MM>/report_<lang>.html: the self-contained leadership report of the month."""
    as_of_month = month_of(context.partition_key)
    path = render_report(
        home.home.published / "salesplan.duckdb",
        as_of_month,
        config.lang,  # type: ignore[arg-type]
        home.home.reports / as_of_month / f"report_{config.lang}.html",
    )
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(path)), "lang": config.lang}
    )


class WorkbooksConfig(dg.Config):
    """How many processes write the manager workbooks."""

    n_jobs: int = Field(
        default=2,
        ge=1,
        description="Processes writing the workbooks, the run's own included (the machine has "
        "2 cores). A version with little funnel work is written in the run's process alone.",
    )


@dg.asset(
    group_name="publishing", kinds={"excel"}, deps=[bi_publication], partitions_def=AS_OF_MONTHS
)
def manager_workbooks(
    context: dg.AssetExecutionContext, config: WorkbooksConfig, home: HomeResource
) -> dg.MaterializeResult:
    """reports/<YYYY-MM>/managers/*.xlsx: one workbook per manager with the reps' targets."""
    as_of_month = month_of(context.partition_key)
    paths = write_manager_workbooks(
        home.home.published / "salesplan.duckdb",
        as_of_month,
        home.home.reports / as_of_month / "managers",
        n_jobs=config.n_jobs,
    )
    return dg.MaterializeResult(
        metadata={
            "workbooks": dg.MetadataValue.int(len(paths)),
            "folder": dg.MetadataValue.path(str(home.home.reports / as_of_month / "managers")),
        }
    )


@dg.asset(
    group_name="publishing", kinds={"python"}, deps=[bi_publication], partitions_def=AS_OF_MONTHS
)
def alert_notifications(
    context: dg.AssetExecutionContext, home: HomeResource
) -> dg.MaterializeResult:
    """The month's attainment alerts sent to planning.yml's alerts.notify (off by default)."""
    as_of_month = month_of(context.partition_key)
    notify = load_config(home.home.planning_config).alerts.notify
    if notify is None:
        return dg.MaterializeResult(metadata={"sent": False, "reason": "alerts.notify not set"})
    with duckdb.connect(str(home.home.published / "salesplan.duckdb"), read_only=True) as serving:
        alerts = serving.execute(
            "select * from attainment_alerts where as_of_month = ?", [parse_month(as_of_month)]
        ).df()
    delivery = send_alerts(alerts, as_of_month, notify)
    return dg.MaterializeResult(
        metadata={
            "sent": True,
            "alerts": delivery.alerts,
            "channels": ", ".join(delivery.channels),
        }
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Register the publication, report, workbook and notification assets."""
    return dg.Definitions(
        assets=[bi_publication, leadership_report, manager_workbooks, alert_notifications]
    )
