import pytest
from support.catalogue import Entry, build_catalogue


@pytest.fixture(scope="session")
def catalogue() -> list[Entry]:
    return build_catalogue()
