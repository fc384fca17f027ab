"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""
from dotenv import load_dotenv

from portal import create_app

load_dotenv()
app = create_app()
