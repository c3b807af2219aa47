"""Domain logic of Lifecycle; routers (and the dashboard) only call these."""
