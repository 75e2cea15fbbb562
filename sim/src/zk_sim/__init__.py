"""ZKTeco terminal simulators for tests and demos.

* :class:`~zk_sim.tcp_terminal.TcpTerminal` speaks the binary TCP protocol of port 4370 that
  pyzk uses (the polling path of the relay and of Odoo's direct poll).
* :class:`~zk_sim.push_terminal.PushTerminal` pushes over ADMS / iClock HTTP like firmware
  (handshake, batches, resends, stamps, command polling), sharing :mod:`zk_sim.model` and
  :mod:`zk_sim.generate`.
"""

from .model import TerminalRecord, TerminalUser
from .push_terminal import BatchPolicy, Faults, Ledger, PushTerminal
from .tcp_terminal import TcpTerminal

__all__ = ["BatchPolicy", "Faults", "Ledger", "PushTerminal", "TcpTerminal", "TerminalRecord",
           "TerminalUser"]
