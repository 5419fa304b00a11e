"""Read-only queries behind the API's views, and their row → response-model mapping.

Functions over a connection (a pool's, or a unit of work's when the view is the answer to
a write); nothing here changes a row.
"""
