"""The OpenAPI document and its Swagger UI."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_openapi_document_generates_without_warnings(tmp_path, paper_connector):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/external-accounts/{id}/test/:" in text
    assert "credentials_set" in text


@pytest.mark.django_db
def test_schema_and_swagger_ui_are_served_to_staff_from_local_static_files(admin_api, client, superuser):
    assert admin_api.get("/api/schema/").status_code == 200
    client.force_login(superuser)
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()
