"""Opening lots stored before they had the ref ``opening`` get it on the lot.

Only the lot row changes (it is not part of the hash chain). Their ledger entries already
written (``opening``, and any ``expire`` or ``forfeit``) keep their null ref: the ledger is
append-only and every entry's hash covers its ref, so rewriting them would break the chain.
Entries written from now on for these lots (expiry, write-off) carry ``opening``.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE hr_cto_lot lot
           SET ref = 'opening'
         WHERE lot.ref IS NULL
           AND EXISTS (SELECT 1 FROM hr_cto_ledger_entry entry
                        WHERE entry.lot_id = lot.id AND entry.type = 'opening')
    """)
