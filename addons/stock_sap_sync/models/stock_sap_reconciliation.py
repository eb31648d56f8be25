# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import time

from odoo import api, fields, models
from odoo.addons.plant_sync_base.exceptions import MissingConfiguration
from odoo.addons.plant_sync_base.tools import check_engine_fields
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import FLOW_RECONCILIATION, location_plant_sloc, mapped_locations

_logger = logging.getLogger(__name__)

SAP_TABLE = "stock_sap_recon_sap"
#: the outcome of a run: written by the run only (superuser mode)
RESULT_FIELDS = frozenset(
    {
        "state",
        "date",
        "positions_sap",
        "positions_compared",
        "difference_count",
        "exception_count",
        "total_value",
        "total_abs_value",
        "duration",
        "line_ids",
    }
)
CMP_TABLE = "stock_sap_recon_cmp"


class StockSapReconciliation(models.Model):
    """SAP unrestricted stock vs Odoo quants on the mapped locations.

    Streams: SAP positions are read one page at a time into a temporary table, Odoo quants are
    aggregated by PostgreSQL, the comparison is one FULL OUTER JOIN and the differences are
    written with one INSERT ... SELECT. Python never holds more than one SAP page."""

    _name = "stock.sap.reconciliation"
    _description = "SAP Stock Reconciliation"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    flow_id = fields.Many2one(
        "plant.sync.flow",
        required=True,
        ondelete="cascade",
        domain=[("code", "=", FLOW_RECONCILIATION)],
        check_company=True,
    )
    backend_id = fields.Many2one(related="flow_id.backend_id", store=True, index=True)
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        index=True,
        precompute=True,
        readonly=False,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Datetime(default=fields.Datetime.now, readonly=True, copy=False)
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done")],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    location_ids = fields.Many2many(
        "stock.location",
        string="Locations",
        help="Mapped stock locations to reconcile (empty: every mapped location).",
    )
    tolerance_qty = fields.Float(digits="Product Unit of Measure")
    tolerance_value = fields.Float()
    finance_threshold = fields.Float()
    positions_sap = fields.Integer(string="SAP Positions", readonly=True)
    positions_compared = fields.Integer(string="Positions Compared", readonly=True)
    difference_count = fields.Integer(string="Differences", readonly=True)
    exception_count = fields.Integer(string="Above Tolerance", readonly=True)
    total_value = fields.Monetary(string="Net Difference Value", readonly=True)
    total_abs_value = fields.Monetary(string="Value at Stake", readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 2))
    line_ids = fields.One2many("stock.sap.reconciliation.line", "reconciliation_id")

    @api.depends("flow_id")
    def _compute_company_id(self):
        for reconciliation in self:
            reconciliation.company_id = (
                reconciliation.flow_id.company_id or reconciliation.company_id or self.env.company
            )

    @api.model_create_multi
    def create(self, vals_list):
        Flow = self.env["plant.sync.flow"]
        for vals in vals_list:
            draft = vals.get("state", "draft") == "draft"
            check_engine_fields(self, set(vals) - {"state"} if draft else vals, RESULT_FIELDS)
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"].next_by_code("stock.sap.reconciliation") or "/"
                )
            flow = Flow.browse(vals.get("flow_id"))
            for field, source in (
                ("tolerance_qty", "recon_tolerance_qty"),
                ("tolerance_value", "recon_tolerance_value"),
                ("finance_threshold", "recon_finance_threshold"),
            ):
                if field not in vals and flow:
                    vals[field] = flow[source]
        return super().create(vals_list)

    def write(self, vals):
        check_engine_fields(self, vals, RESULT_FIELDS)
        return super().write(vals)

    # ---------------------------------------------------------------------------------------
    # actions
    # ---------------------------------------------------------------------------------------
    def action_run(self):
        """Run in the background (queue_job): 100k positions take longer than a request.
        Finance and integration administrators (write access): the run reads SAP and raises
        exceptions as superuser."""
        self.check_access("write")
        for reconciliation in self:
            if reconciliation.state == "done":
                raise UserError(self.env._("This reconciliation has already run."))
            reconciliation.with_delay(
                description=f"SAP stock reconciliation {reconciliation.name}",
                identity_key=f"stock_sap_reconciliation_{reconciliation.id}",
            )._job_run()
        return True

    def _job_run(self):
        self.ensure_one()
        if self.state == "done":
            return "already done"
        try:
            with self.env.cr.savepoint():
                return self.sudo()._run()
        except Exception as exc:  # noqa: BLE001 - a retry, or an exception with its fix
            return self.flow_id.sudo()._pull_failed(exc, record=self)

    def _related_action_open_record(self):
        """queue_job related action: open the reconciliation."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
        }

    def action_open_lines(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock_sap_sync.action_stock_sap_reconciliation_line"
        )
        action["domain"] = [("reconciliation_id", "=", self.id)]
        action["context"] = {}
        return action

    # ---------------------------------------------------------------------------------------
    # the comparison
    # ---------------------------------------------------------------------------------------
    def _run(self):
        self.ensure_one()
        started = time.monotonic()
        backend = self.backend_id
        locations = self.location_ids or mapped_locations(self.flow_id)
        if not locations:
            raise MissingConfiguration(
                self.env._(
                    "No stock location is mapped to an SAP storage location, so there is nothing "
                    "to reconcile — map the stores to compare (Storage Location / Stock Location "
                    "mapping of %(backend)s, e.g. WH/Stock ↔ 1010/0001); the next run uses it.",
                    backend=backend.display_name,
                ),
                fix={
                    "kind": "mapping",
                    "model": "plant.sync.mapping",
                    "defaults": {
                        "backend_id": backend.id,
                        "mapping_type": "location",
                        "direction": "both",
                    },
                },
            )
        cr = self.env.cr
        self.env.flush_all()
        self.line_ids.unlink()
        cr.execute(
            SQL(
                "CREATE TEMP TABLE IF NOT EXISTS %s "
                "(location_id integer, material varchar, qty numeric)",
                SQL.identifier(SAP_TABLE),
            )
        )
        cr.execute(SQL("TRUNCATE %s", SQL.identifier(SAP_TABLE)))
        targets = []
        positions = 0
        client = backend._client()
        try:
            for location in locations:
                plant, sloc = location_plant_sloc(backend, location)
                targets.append((location.id, plant, sloc))
                for page in client.iter_material_stock(plant, sloc):
                    positions += len(page)
                    self._store_sap_page(location.id, page)
        finally:
            backend._release_client(client, reuse=False)
        stats = self._compare(targets)
        stats["positions_sap"] = positions
        stats["duration"] = time.monotonic() - started
        self.write(dict(stats, state="done"))
        self._raise_exceptions()
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(SAP_TABLE)))
        _logger.info(
            "SAP stock reconciliation %s: %s positions, %s differences in %.1fs",
            self.name,
            positions,
            stats["difference_count"],
            stats["duration"],
        )
        return f"{stats['difference_count']} differences in {positions} SAP positions"

    def _store_sap_page(self, location_id, page):
        """One page of SAP stock into the temporary table (one multi-row INSERT)."""
        rows = [
            SQL("(%s, %s, %s)", location_id, position.material, position.quantity)
            for position in page
            if (position.stock_type or "01") == "01" and not position.special_stock
        ]
        if rows:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO %s (location_id, material, qty) VALUES %s",
                    SQL.identifier(SAP_TABLE),
                    SQL(", ").join(rows),
                )
            )

    def _compare(self, targets):
        """FULL OUTER JOIN of the SAP positions with the Odoo quants (aggregated per mapped
        location and material, converted to the SAP base unit); differences become lines."""
        cr = self.env.cr
        company = self.company_id
        values = SQL(", ").join(SQL("(%s, %s, %s)", *target) for target in targets)
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(CMP_TABLE)))
        cr.execute(
            SQL(
                """
            CREATE TEMP TABLE %(cmp)s AS
            WITH target(location_id, plant, sloc) AS (VALUES %(values)s),
            root AS (
                SELECT l.id AS location_id, l.parent_path
                  FROM stock_location l JOIN target t ON t.location_id = l.id
            ),
            sap AS (
                SELECT location_id, material, SUM(qty) AS qty
                  FROM %(sap)s GROUP BY location_id, material
            ),
            odoo AS (
                SELECT root.location_id, b.external_id AS material,
                       SUM(q.quantity / up.factor * us.factor) AS qty
                  FROM stock_quant q
                  JOIN stock_location l ON l.id = q.location_id
                  JOIN root
                    ON left(l.parent_path, length(root.parent_path)) = root.parent_path
                  JOIN plant_sync_binding b
                    ON b.res_model = 'product.product' AND b.res_id = q.product_id
                   AND b.backend_id = %(backend)s
                  JOIN product_product pp ON pp.id = q.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN uom_uom up ON up.id = pt.uom_id
                  JOIN uom_uom us ON us.id = COALESCE(pt.sap_base_uom_id, pt.uom_id)
                 WHERE q.company_id = %(company)s OR q.company_id IS NULL
                 GROUP BY root.location_id, b.external_id
            )
            SELECT COALESCE(s.location_id, o.location_id) AS location_id,
                   COALESCE(s.material, o.material) AS material,
                   COALESCE(s.qty, 0) AS sap_qty,
                   COALESCE(o.qty, 0) AS odoo_qty
              FROM sap s FULL OUTER JOIN odoo o
                ON o.location_id = s.location_id AND o.material = s.material
            """,
                cmp=SQL.identifier(CMP_TABLE),
                values=values,
                sap=SQL.identifier(SAP_TABLE),
                backend=self.backend_id.id,
                company=company.id,
            )
        )
        compared = cr.rowcount
        uid = self.env.uid
        cr.execute(
            SQL(
                """
            WITH target(location_id, plant, sloc) AS (VALUES %(values)s),
            diff AS (
                SELECT c.*, c.sap_qty - c.odoo_qty AS difference, b.res_id AS product_id
                  FROM %(cmp)s c
                  LEFT JOIN plant_sync_binding b
                    ON b.res_model = 'product.product' AND b.external_id = c.material
                   AND b.backend_id = %(backend)s
                 WHERE ABS(c.sap_qty - c.odoo_qty) > 0.000001
            ),
            priced AS (
                SELECT d.*, t.plant, t.sloc, COALESCE(pt.sap_base_uom_id, pt.uom_id) AS uom_id,
                       COALESCE(
                           NULLIF(pt.sap_valuation_price, 0),
                           (pp.standard_price ->> %(company_key)s)::numeric
                               * up.factor / us.factor,
                           0) AS price_unit
                  FROM diff d
                  JOIN target t ON t.location_id = d.location_id
                  LEFT JOIN product_product pp ON pp.id = d.product_id
                  LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  LEFT JOIN uom_uom up ON up.id = pt.uom_id
                  LEFT JOIN uom_uom us ON us.id = COALESCE(pt.sap_base_uom_id, pt.uom_id)
            )
            INSERT INTO stock_sap_reconciliation_line (
                reconciliation_id, company_id, date, location_id, plant, storage_location,
                material, product_id, uom_id, sap_qty, odoo_qty, difference, price_unit, value,
                abs_value, currency_id, above_tolerance, owner_group,
                create_uid, create_date, write_uid, write_date)
            SELECT %(rec)s, %(company)s, %(date)s, p.location_id, p.plant, p.sloc,
                   p.material, p.product_id, p.uom_id, p.sap_qty, p.odoo_qty, p.difference,
                   p.price_unit, p.difference * p.price_unit, ABS(p.difference * p.price_unit),
                   %(currency)s,
                   ABS(p.difference) > %(tol_qty)s
                       AND ABS(p.difference * p.price_unit) >= %(tol_value)s,
                   CASE WHEN ABS(p.difference * p.price_unit) >= %(threshold)s
                        THEN 'finance' ELSE 'planner' END,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM priced p
             ORDER BY p.location_id, p.material
            """,
                values=values,
                cmp=SQL.identifier(CMP_TABLE),
                backend=self.backend_id.id,
                company_key=str(company.id),
                rec=self.id,
                company=company.id,
                date=self.date,
                currency=company.currency_id.id,
                tol_qty=self.tolerance_qty or 0.0,
                tol_value=self.tolerance_value or 0.0,
                threshold=self.finance_threshold or 0.0,
                uid=uid,
            )
        )
        cr.execute(
            SQL(
                """
            SELECT COUNT(*), COUNT(*) FILTER (WHERE above_tolerance),
                   COALESCE(SUM(value), 0), COALESCE(SUM(abs_value), 0)
              FROM stock_sap_reconciliation_line WHERE reconciliation_id = %s
            """,
                self.id,
            )
        )
        count, above, total, total_abs = cr.fetchone()
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(CMP_TABLE)))
        self.env["stock.sap.reconciliation.line"].invalidate_model()
        self.invalidate_recordset(["line_ids"])
        return {
            "positions_compared": compared,
            "difference_count": count,
            "exception_count": above,
            "total_value": float(total),
            "total_abs_value": float(total_abs),
        }

    def _raise_exceptions(self):
        """Exceptions for the differences above tolerance, largest value first (at most the
        flow's maximum, the rest summed up in one); open exceptions of earlier runs of the same
        flow are closed as superseded."""
        self.ensure_one()
        Exception_ = self.env["plant.sync.exception"].sudo()
        Line = self.env["stock.sap.reconciliation.line"].sudo()
        previous = Exception_.search(
            [
                ("res_model", "in", ("stock.sap.reconciliation.line", self._name)),
                ("backend_id", "=", self.backend_id.id),
                ("state", "in", ("new", "in_progress")),
            ]
        )
        if previous:
            previous._cancel(
                self.env._("Superseded by stock reconciliation %(name)s", name=self.name)
            )
        limit = self.flow_id.recon_max_exceptions or 100
        lines = Line.search(
            [("reconciliation_id", "=", self.id), ("above_tolerance", "=", True)],
            order="abs_value desc, id",
            limit=limit,
        )
        currency = self.company_id.currency_id.name
        for line in lines:
            exception = Exception_._report(
                self.env._(
                    "Stock difference %(material)s in %(plant)s/%(sloc)s: SAP %(sap)s, Odoo "
                    "%(odoo)s (difference %(diff)s, value %(value).2f %(currency)s)",
                    material=line.material,
                    plant=line.plant,
                    sloc=line.storage_location,
                    sap=line.sap_qty,
                    odoo=line.odoo_qty,
                    diff=line.difference,
                    value=line.value,
                    currency=currency,
                ),
                category="business",
                owner_group=line.owner_group,
                record=line,
                backend=self.backend_id,
                amount=line.abs_value,
                currency=currency,
            )
            line.exception_id = exception
        rest = self.exception_count - len(lines)
        if rest > 0:
            self.env.cr.execute(
                SQL(
                    "SELECT COALESCE(SUM(abs_value), 0) FROM stock_sap_reconciliation_line "
                    "WHERE reconciliation_id = %s AND above_tolerance",
                    self.id,
                )
            )
            amount = float(self.env.cr.fetchone()[0]) - sum(lines.mapped("abs_value"))
            Exception_._report(
                self.env._(
                    "%(count)s more stock differences above tolerance in reconciliation "
                    "%(name)s (value %(value).2f %(currency)s)",
                    count=rest,
                    name=self.name,
                    value=amount,
                    currency=currency,
                ),
                category="business",
                owner_group="finance",
                record=self,
                backend=self.backend_id,
                amount=amount,
                currency=currency,
            )
