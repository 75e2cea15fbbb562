from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ZkCase


@tagged("post_install", "-at_install")
class TestAuditTrail(ZkCase):
    """Issue 7: entries nobody can write or delete, chained by hash, tampering detected."""

    def log_three(self):
        Audit = self.env["zk.audit.entry"]
        for n in range(3):
            Audit._log(self.mapping, "test", before={"n": n}, after={"n": n + 1},
                       reason=f"step {n}")
        return Audit.search([], order="seq")

    def test_entries_are_chained_and_verify(self):
        entries = self.log_three()
        self.assertEqual(entries.mapped("seq"), list(range(1, len(entries) + 1)))
        self.assertEqual(entries[1].prev_hash, entries[0].hash)
        self.assertIsNone(self.env["zk.audit.entry"]._first_broken_seq())
        action = self.env["zk.audit.entry"].action_verify_chain()
        self.assertEqual(action["params"]["type"], "success")

    def test_nobody_writes_or_deletes_entries_not_even_the_superuser(self):
        entries = self.log_three()
        with self.assertRaises(AccessError):
            entries[0].sudo().write({"reason": "rewritten"})
        with self.assertRaises(AccessError):
            entries[0].sudo().unlink()
        with self.assertRaises(AccessError):
            self.env["zk.audit.entry"].sudo().create({"seq": 99, "action": "forged"})

    def test_tampering_in_the_database_is_detected_and_named(self):
        entries = self.log_three()
        target = entries[1]
        self.env.cr.execute("UPDATE zk_audit_entry SET reason = 'edited' WHERE id = %s",
                            (target.id,))
        self.env["zk.audit.entry"].invalidate_model()
        self.assertEqual(self.env["zk.audit.entry"]._first_broken_seq(), target.seq)
        action = self.env["zk.audit.entry"].action_verify_chain()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn(f"#{target.seq}", action["params"]["message"])
