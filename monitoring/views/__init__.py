"""The teacher's server-rendered pages, one module per page; `monitoring.urls` routes them."""
