"""Cases: numbering, parties, history, search and who may see them.

Registration starts a workflow (casesys.workflows.registration); the pages are casesys.web's."""
