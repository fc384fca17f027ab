"""Field actions sent from the phone's outbox: replayed safely, with the phone's and the server's times."""
