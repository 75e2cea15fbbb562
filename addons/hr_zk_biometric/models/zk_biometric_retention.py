from datetime import timedelta

from odoo import api, fields, models


class ZkBiometricRetention(models.AbstractModel):
    """Scheduled deletions: templates of people gone for the company's N days, punch
    photos older than the company's photo retention (default 90 days)."""

    _name = "zk.biometric.retention"
    _description = "Biometric data retention"

    @api.model
    def _cron_retention(self):
        now = fields.Datetime.now()
        today = fields.Date.context_today(self)
        removed_templates = removed_photos = 0
        # sudo: retention is the system's own scheduled work, over every company.
        companies = self.env["res.company"].sudo().search(  # pylint: disable=no-search-all
            [])
        for company in companies:
            gone_before = today - timedelta(days=max(company.zk_bio_retention_days, 0))
            employees = self.env["hr.employee"].sudo().with_context(active_test=False).search([
                ("company_id", "=", company.id), ("zk_bio_template_ids", "!=", False),
                "|", ("active", "=", False), ("departure_date", "<=", gone_before)])
            gone = employees.filtered(lambda e, g=gone_before: not e.departure_date
                                      or e.departure_date <= g)
            templates = gone.zk_bio_template_ids
            if templates:
                self.env["zk.audit.entry"]._log(gone, "biometric_retention", after={
                    "templates": len(templates)})
                removed_templates += len(templates)
                templates.unlink()
            limit = now - timedelta(days=max(company.zk_photo_retention_days, 0))
            photos = self.env["zk.punch.photo"].sudo().search(
                [("company_id", "=", company.id), ("create_date", "<", limit)])
            removed_photos += len(photos)
            photos.unlink()
        return removed_templates, removed_photos
