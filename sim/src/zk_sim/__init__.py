"""ZKTeco terminal simulators for tests and demos.

* :class:`~zk_sim.tcp_terminal.TcpTerminal` speaks the binary TCP protocol of port 4370 that
  pyzk uses (the polling path of the relay and of Odoo's direct poll).
* An ADMS push simulator (issue 12) will live beside it and share :mod:`zk_sim.model` and
  :mod:`zk_sim.generate`.
"""

from .model import TerminalRecord, TerminalUser
from .tcp_terminal import TcpTerminal

__all__ = ["TcpTerminal", "TerminalRecord", "TerminalUser"]
