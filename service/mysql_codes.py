"""MySQL/MariaDB error numbers the service reacts to, named once.

Server errors (``ER_*``) come from the server; client errors (``CR_*``) from PyMySQL when the
connection itself fails.
"""

ER_DUP_ENTRY = 1062
ER_LOCK_WAIT_TIMEOUT = 1205
ER_LOCK_DEADLOCK = 1213
ER_STATEMENT_TIMEOUT = 1969  # MariaDB: max_statement_time exceeded; the statement was aborted

CR_CONNECTION_ERROR = 2002
CR_CONN_HOST_ERROR = 2003
CR_SERVER_GONE_ERROR = 2006
CR_SERVER_LOST = 2013

LOCK_RACES = frozenset({ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK})
CONNECTION_FAILURES = frozenset(
    {CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST}
)

# Galera: a node that is up but not Synced refuses every statement ("WSREP has not yet prepared
# node for application use"): nothing it refused was done, like a connection that failed.
ER_UNKNOWN_COM_ERROR = 1047
# "Got error N during COMMIT" (a Galera node cut off from the cluster at COMMIT): whether the
# transaction survives elsewhere is not known here.
ER_ERROR_DURING_COMMIT = 1180

NODE_NOT_READY = frozenset({ER_UNKNOWN_COM_ERROR})
UNAVAILABLE = CONNECTION_FAILURES | NODE_NOT_READY
COMMIT_FAILURES = frozenset({ER_ERROR_DURING_COMMIT})
