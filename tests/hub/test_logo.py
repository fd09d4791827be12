from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from hub.management.commands.seed_demo import logo_png


def test_it_serves_a_vendors_logo_from_storage(client, vendor):
    vendor.logo.save("northwind.png", ContentFile(logo_png("#123456", "N")))
    response = client.get(vendor.logo.url)
    assert vendor.logo.url.startswith("/media/logos/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert "public" in response["Cache-Control"]


def test_it_serves_nothing_outside_the_logos_folder(client, db):
    name = default_storage.save("invoices/secret/invoice-X-000001.pdf", ContentFile(b"%PDF-1.7"))
    assert client.get(f"/media/{name}").status_code == 404
    assert client.get(f"/media/logos/../{name}").status_code == 404
    assert client.get("/media/logos/%2e%2e/" + name).status_code == 404


def test_it_serves_no_file_that_is_not_an_image(client, db):
    default_storage.save("logos/page.html", ContentFile(b"<script>alert(1)</script>"))
    default_storage.save("logos/logo.svg", ContentFile(b"<svg onload='alert(1)'/>"))
    assert client.get("/media/logos/page.html").status_code == 404
    assert client.get("/media/logos/logo.svg").status_code == 404
    assert client.get("/media/logos/missing.png").status_code == 404
