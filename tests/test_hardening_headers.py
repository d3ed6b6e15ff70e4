"""Permissions-Policy on every response; the receipt lookup is rate limited per address."""

import pytest

from app.security import PERMISSIONS_POLICY

OFF = ["camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"]


@pytest.mark.parametrize(
    "url",
    ["/", "/news/", "/consult", "/admin/login", "/admin/messages", "/no-such-page", "/healthz"],
)
def test_every_response_switches_off_browser_features(client, url):
    response = client.get(url)
    policy = response.headers["Permissions-Policy"]
    assert policy == PERMISSIONS_POLICY
    assert all(feature in policy.split(", ") for feature in OFF)


def test_a_static_file_and_a_fragment_carry_it_too(client):
    page = client.get("/consult", headers={"HX-Request": "true"})
    assert "camera=()" in page.headers["Permissions-Policy"]


def lookup(client, ip, receipt="ABCDEFGHJK"):
    return client.post(
        "/consult/status",
        data={"receipt": receipt, "phone": "13812345678"},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_the_receipt_lookup_is_limited_per_address(app, client):
    app.config["CONSULT_LOOKUP_LIMIT"] = "3 per minute"
    assert [lookup(client, "198.51.100.7").status_code for _ in range(3)] == [200] * 3
    refused = lookup(client, "198.51.100.7")
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "查询过于频繁(每1分钟最多查询3次)，请稍后再试。" in page
    assert 'value="ABCDEFGHJK"' in page  # what was typed stays
    assert lookup(client, "198.51.100.8").status_code == 200


def test_the_lookup_limit_defaults_to_thirty_a_minute(app, client):
    codes = [lookup(client, "198.51.100.7").status_code for _ in range(31)]
    assert codes == [200] * 30 + [429]
