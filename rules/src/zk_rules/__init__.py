"""zk-odoo business rules as plain Python (no Odoo import; see rules/README.md)."""

__version__ = "0.1.0"
