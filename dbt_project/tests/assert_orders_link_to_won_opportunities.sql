-- A failing row is an order line booked from an opportunity that is not won (still open, or
-- lost) as of this build: either the CRM has not caught up with the ERP or the order points at
-- the wrong opportunity. Its amount is in the bookings but in no reconciliation row.
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'int_order_lines_enriched'}}}) }}

with

order_lines as (
    select * from {{ ref('int_order_lines_enriched') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
)

select
    order_lines.order_id,
    order_lines.line_no,
    order_lines.opportunity_id,
    opportunities.stage
from order_lines
inner join opportunities
    on order_lines.opportunity_id = opportunities.opportunity_id
where not opportunities.is_won
