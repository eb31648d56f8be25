"""A misbehaving CMMS on loopback: links to another origin written to slip past a naive check,
and paging that never ends. Every case must end in a typed error, without a request to the
other origin and after a bounded number of requests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from werkzeug.wrappers import Request, Response

from plant_sync.cmms import HttpSettings, MaximoConfig, RestConfig, WorkOrder, make_client
from plant_sync.cmms.config import PaginationConfig
from plant_sync.errors import PagingError, ProtocolError
from plant_sync.simulators.http_server import BackgroundServer

GIVE_UP = 50  # the hostile server ends its paging after this many requests (no endless test)


@dataclass
class Hostile:
    """``answer(request, n)`` -> (status, JSON body, headers); ``n`` counts requests from 1."""

    answer: Callable[[Request, int], tuple[int, object, dict[str, str]]]
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.requests.append(request.full_path)
        status, body, headers = self.answer(request, len(self.requests))
        data = b"" if body is None else json.dumps(body).encode()
        response = Response(data, status=status, content_type="application/json", headers=headers)
        return response(environ, start_response)


@pytest.fixture
def hostile() -> Iterator[Callable[..., Hostile]]:
    servers: list[BackgroundServer] = []

    def start(answer) -> Hostile:
        app = Hostile(answer)
        server = BackgroundServer(app).start()
        servers.append(server)
        app.url = f"http://127.0.0.1:{server.port}"
        return app

    yield start
    for server in servers:
        server.stop()


def maximo_page(members: list[dict], next_href: str | None) -> dict:
    info = {"nextPage": {"href": next_href}} if next_href else {}
    return {"member": members, "responseInfo": info}


def maximo_client(server: Hostile, http: HttpSettings):
    config = MaximoConfig(base_url=server.url + "/maximo", api_key="k", http=http)
    return make_client(config)


# --- same-origin check of server-given links -------------------------------------------------
@pytest.mark.parametrize(
    "template",
    [
        "HTTP://127.0.0.1:{port}/maximo/api/os/mxapiwodetail?pageno=2",  # upper-case scheme
        " http://127.0.0.1:{port}/maximo/api/os/mxapiwodetail?pageno=2",  # leading space
        "\thttp://127.0.0.1:{port}/maximo/api/os/mxapiwodetail?pageno=2",  # leading tab
        "//127.0.0.1:{port}/maximo/api/os/mxapiwodetail?pageno=2",  # network-path reference
    ],
)
def test_maximo_next_page_to_another_origin_is_refused(hostile, hit_counter, http, template):
    other_port = hit_counter["url"].split(":")[2].split("/")[0]
    link = template.format(port=other_port)
    server = hostile(lambda request, n: (200, maximo_page([{"wonum": "1"}], link), {}))
    client = maximo_client(server, http)
    with pytest.raises(ProtocolError, match="another origin"):
        list(client.list_changed())
    assert hit_counter["hits"] == 0, "nothing was sent to the other origin"
    assert len(server.requests) == 1


def test_maximo_next_page_on_our_origin_in_another_spelling_is_followed(hostile, http):
    def answer(request, n):
        if n == 1:
            port = request.host.split(":")[1]
            link = f" HTTP://127.0.0.1:{port}/maximo/api/os/mxapiwodetail?pageno=2"
            return 200, maximo_page([{"wonum": "1"}], link), {}
        return 200, maximo_page([{"wonum": "2"}], None), {}

    server = hostile(answer)
    assert [wo.external_id for wo in maximo_client(server, http).list_changed()] == ["1", "2"]
    assert server.requests[1].startswith("/maximo/api/os/mxapiwodetail?pageno=2")


@pytest.mark.parametrize("scheme", ["HTTP", "Http"])
def test_rest_location_to_another_origin_is_refused(hostile, hit_counter, http, scheme):
    other = hit_counter["url"].replace("http", scheme, 1)
    server = hostile(lambda request, n: (201, None, {"Location": other + "/workorders/9"}))
    client = make_client(
        RestConfig(base_url=server.url + "/api", field_map={"external_id": "id"}, http=http)
    )
    with pytest.raises(ProtocolError, match="another origin"):
        client.create(WorkOrder(title="x"))
    assert hit_counter["hits"] == 0


# --- bounded paging ----------------------------------------------------------------------------
def test_maximo_endless_empty_pages_stop_with_a_paging_error(hostile, http):
    def answer(request, n):
        nxt = f"{request.host_url}maximo/api/os/mxapiwodetail?pageno={n + 1}"
        return 200, maximo_page([], nxt if n < GIVE_UP else None), {}

    server = hostile(answer)
    with pytest.raises(PagingError, match="empty pages in a row"):
        list(maximo_client(server, http).list_changed())
    assert len(server.requests) == 3  # HttpSettings.max_empty_pages


def test_maximo_next_page_repeated_in_another_spelling_is_a_loop(hostile, http):
    def answer(request, n):
        link = f"{request.host_url}maximo/api/os/mxapiwodetail?pageno=2"
        spelled = link if n % 2 else f" {link} "  # the same link, once padded
        return 200, maximo_page([{"wonum": str(n)}], spelled if n < GIVE_UP else None), {}

    server = hostile(answer)
    with pytest.raises(PagingError, match="the same next page twice"):
        list(maximo_client(server, http).list_changed())
    assert len(server.requests) == 2


def test_maximo_page_limit(seeded, maximo_config, http):
    http.max_pages = 2  # 12 work orders, 4 per page: a third page is refused
    client = make_client(maximo_config(http=http))
    with pytest.raises(PagingError, match="more than 2 pages"):
        list(client.list_changed())
    http.max_pages = 3
    assert len(list(make_client(maximo_config(http=http)).list_changed())) == 12


def rest_client(server: Hostile, http: HttpSettings, **pagination):
    config = RestConfig(
        base_url=server.url + "/api",
        field_map={"external_id": "id"},
        pagination=PaginationConfig(**pagination),
        http=http,
    )
    return make_client(config)


def test_rest_cursor_repeated_is_a_loop(hostile, http):
    def answer(request, n):
        cursor = "same-cursor" if n < GIVE_UP else None
        return 200, {"data": [{"id": str(n)}], "meta": {"next_cursor": cursor}}, {}

    server = hostile(answer)
    with pytest.raises(PagingError, match="the same next page twice"):
        list(rest_client(server, http, style="cursor").list_changed())
    assert len(server.requests) == 2


def test_rest_next_links_with_empty_pages_stop(hostile, http):
    def answer(request, n):
        nxt = f"{request.host_url}api/workorders?after={n}" if n < GIVE_UP else None
        return 200, {"data": [], "links": {"next": nxt}}, {}

    server = hostile(answer)
    with pytest.raises(PagingError, match="empty pages in a row"):
        list(rest_client(server, http, style="next_link").list_changed())
    assert len(server.requests) == 3


def test_rest_server_ignoring_the_page_number_hits_the_page_limit(hostile, http):
    http.max_pages = 5
    full_page = [{"id": str(i)} for i in range(2)]  # the same full page, whatever is asked
    server = hostile(lambda request, n: (200, {"data": full_page if n < GIVE_UP else []}, {}))
    with pytest.raises(PagingError, match="more than 5 pages"):
        list(rest_client(server, http, style="page", page_size=2).list_changed())
    assert len(server.requests) == 5
