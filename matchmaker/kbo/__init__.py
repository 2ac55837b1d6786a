"""The KBO/BCE register on the command line (`flask kbo ...`); the services are in matchmaker.services.kbo and
the check shows on the administrators' verification pages (matchmaker.admin)."""
