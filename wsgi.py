from odr import create_app

app = create_app()
