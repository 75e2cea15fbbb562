from odoo import fields, models


class PayrollExportBatchPart(models.Model):
    """A chunk of a batch being issued also keeps its comparison with the work entries, so
    the check posted on issue reads no day twice."""

    _inherit = "payroll.export.batch.part"

    zk_work_entry_json = fields.Text(
        prefetch=False,  # read one part at a time (see the part's other big columns)
        help="The chunk's employees compared with their work entries, and what differs.")
