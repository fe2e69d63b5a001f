"""What an operator copies to run the service: nginx, gunicorn and systemd.

docs/deploy.md says where each file goes. render.py fills in the nginx files.
"""
