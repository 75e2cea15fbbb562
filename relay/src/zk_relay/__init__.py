"""zk-relay: ZKTeco ADMS push terminator with a durable SQLite store."""

__version__ = "0.1.0"
