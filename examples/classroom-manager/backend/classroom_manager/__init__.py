"""Classroom manager: the sample web app that Shipline's end-to-end tests deploy."""
