from odr import create_app
from odr.cli import settle_heap

app = create_app()
settle_heap()
