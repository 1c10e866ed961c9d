"""Shipline: deploy a Docker Compose web app over SSH with Ansible and keep it healthy."""

__version__ = "0.1.0"
