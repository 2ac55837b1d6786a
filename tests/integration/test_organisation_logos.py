"""Organisations' logos: uploading (checked, re-encoded, stripped of metadata), serving, removing, showing."""

import hashlib
import io

import pytest
from PIL import Image
from werkzeug.test import EnvironBuilder

from matchmaker.extensions import db
from matchmaker.models import Organisation, OrganisationLogo
from matchmaker.services import logos


def image_bytes(fmt: str = "PNG", size=(600, 300), color=(200, 30, 30), **save) -> bytes:
    mode = "RGBA" if fmt in ("PNG", "WEBP") else "RGB"
    image = Image.new(mode, size, color)
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0110] = "Model X"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (50.0, 51.0, 0.0)
    gps[3] = "E"
    gps[4] = (4.0, 21.0, 0.0)
    data = image_bytes("JPEG", exif=exif.tobytes(), comment=b"secret comment")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the upload really carries a position
    return data


@pytest.fixture
def org_admin(auth, make_user, make_organisation):
    admin = make_user(roles=("supplier",), display_name="Ann Admin")
    organisation = make_organisation(admins=(admin,), name="Lumen Robotics")
    auth.login(admin)
    return organisation


def upload(client, organisation, data: bytes, filename: str = "logo.png", **headers):
    builder = EnvironBuilder(
        path=f"/organisations/{organisation.id}/logo",
        method="POST",
        data={"logo-logo": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers=headers,
    )
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        # Werkzeug spools a body over 500 kB to a temporary file that the test client leaves open.
        environ["wsgi.input"].close()
        builder.close()


def stored(organisation) -> OrganisationLogo | None:
    db.session.expire_all()
    return db.session.get(OrganisationLogo, organisation.id)


# --- uploading ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_an_image_is_accepted_and_stored_as_a_png_within_256_pixels(client, org_admin, fmt):
    response = upload(client, org_admin, image_bytes(fmt), filename=f"logo.{fmt.lower()}")
    assert response.status_code == 302
    logo = stored(org_admin)
    assert logo.mime_type == "image/png"
    assert (logo.width, logo.height) == (256, 128)  # proportions kept
    image = Image.open(io.BytesIO(logo.data))
    assert image.format == "PNG" and image.size == (256, 128)
    assert logo.content_hash == hashlib.sha256(logo.data).hexdigest()
    assert db.session.get(Organisation, org_admin.id).logo_version == logo.content_hash


def test_a_small_image_is_not_enlarged(client, org_admin):
    upload(client, org_admin, image_bytes(size=(40, 30)))
    assert (stored(org_admin).width, stored(org_admin).height) == (40, 30)


def test_exif_gps_and_comments_are_removed(client, org_admin):
    assert upload(client, org_admin, jpeg_with_gps(), filename="photo.jpg").status_code == 302
    data = stored(org_admin).data
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()
    assert "exif" not in image.info and "comment" not in image.info and "icc_profile" not in image.info
    assert b"SpyCam" not in data and b"secret comment" not in data


def test_uploaded_bytes_are_never_stored_as_they_came(client, org_admin):
    original = image_bytes(size=(100, 100))
    upload(client, org_admin, original)
    assert stored(org_admin).data != original


def test_a_new_logo_replaces_the_old_one(client, org_admin):
    upload(client, org_admin, image_bytes(color=(0, 0, 255)))
    first = stored(org_admin).content_hash
    upload(client, org_admin, image_bytes(color=(0, 255, 0)))
    assert stored(org_admin).content_hash != first
    assert db.session.query(OrganisationLogo).count() == 1


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (SVG, "logo.svg", "SVG images are not accepted"),
        (HTML, "logo.png", "not an image we can read"),
        (b"GIF89a" + HTML, "logo.gif", "not an image we can read"),
        (image_bytes() + b"<html><script>alert(1)</script></html>", "logo.png", "web page or script code"),
        (image_bytes("JPEG", comment=b"<script>alert(1)</script>"), "logo.jpg", "web page or script code"),
        (image_bytes("BMP"), "logo.bmp", "not an image we can read"),
        (image_bytes()[:200], "logo.png", "not an image we can read"),  # cut off
        (b"", "logo.png", "Choose an image file"),
    ],
    ids=["svg", "html", "gif-html", "png-with-html", "jpeg-comment-script", "bmp", "truncated", "empty"],
)
def test_files_that_are_not_plain_images_are_refused(client, org_admin, data, filename, message):
    response = upload(client, org_admin, data, filename=filename, **{"Accept-Language": "en"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(org_admin) is None
    assert db.session.get(Organisation, org_admin.id).logo_version is None


def test_a_file_over_2_mb_is_refused(client, org_admin):
    data = image_bytes() + b"\0" * (2 * 1024 * 1024)
    response = upload(client, org_admin, data, **{"Accept-Language": "en"})
    assert response.status_code == 422
    assert "larger than 2 MB" in response.get_data(as_text=True)


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(client, org_admin):
    # 10000 x 10000 of one colour compresses to a few kilobytes: a decompression bomb.
    data = image_bytes(size=(10_000, 10_000), color=(0, 0, 0))
    assert len(data) < logos.MAX_UPLOAD_BYTES
    response = upload(client, org_admin, data, **{"Accept-Language": "en"})
    assert response.status_code == 422
    assert "too large: at most 25 million pixels" in response.get_data(as_text=True)


def test_the_refusal_is_shown_at_the_field_on_a_page_in_the_users_language(client, org_admin):
    org_admin.memberships[0].user.language = "nl"
    db.session.commit()
    response = upload(client, org_admin, SVG, filename="logo.svg")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<html lang="nl"' in page
    assert 'id="logo-logo-error"' in page and 'aria-invalid="true"' in page
    assert "SVG-afbeeldingen worden niet aanvaard" in page


def test_another_organisations_admin_may_not_upload_or_remove(client, auth, make_user, make_organisation):
    victim = make_organisation(name="Victim")
    auth.login_as("supplier")
    assert upload(client, victim, image_bytes()).status_code == 403
    assert client.post(f"/organisations/{victim.id}/logo/remove").status_code == 403
    assert stored(victim) is None


def test_a_member_who_is_not_an_administrator_may_not_upload(client, auth, make_user, make_organisation):
    member = make_user(roles=("supplier",))
    organisation = make_organisation(members=(member,))
    auth.login(member)
    assert upload(client, organisation, image_bytes()).status_code == 403


def test_an_anonymous_upload_is_sent_to_log_in(client, make_organisation):
    organisation = make_organisation()
    response = upload(client, organisation, image_bytes())
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_removing_the_logo(client, org_admin):
    upload(client, org_admin, image_bytes())
    response = client.post(f"/organisations/{org_admin.id}/logo/remove", follow_redirects=True)
    assert response.status_code == 200
    assert stored(org_admin) is None
    assert db.session.get(Organisation, org_admin.id).logo_version is None
    assert client.get(f"/organisations/{org_admin.id}/logo.png").status_code == 404


def test_the_edit_page_shows_the_logo_and_the_upload_form(client, org_admin):
    page = client.get(f"/organisations/{org_admin.id}/edit").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "Remove the logo" not in page
    upload(client, org_admin, image_bytes())
    page = client.get(f"/organisations/{org_admin.id}/edit").get_data(as_text=True)
    version = db.session.get(Organisation, org_admin.id).logo_version
    assert f"/organisations/{org_admin.id}/logo.png?v={version}" in page
    assert "Remove the logo" in page


# --- serving -----------------------------------------------------------------------------------------


def test_the_logo_is_served_as_png_with_long_caching_for_its_version(client, org_admin):
    upload(client, org_admin, image_bytes())
    logo = stored(org_admin)
    client.post("/auth/logout")
    response = client.get(f"/organisations/{org_admin.id}/logo.png?v={logo.content_hash}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["ETag"] == f'"{logo.content_hash}"'
    assert response.data == logo.data


def test_the_unversioned_address_is_revalidated_with_the_etag(client, org_admin):
    upload(client, org_admin, image_bytes())
    logo = stored(org_admin)
    response = client.get(f"/organisations/{org_admin.id}/logo.png?v=old")
    assert response.headers["Cache-Control"] == "public, no-cache"
    again = client.get(
        f"/organisations/{org_admin.id}/logo.png", headers={"If-None-Match": f'"{logo.content_hash}"'}
    )
    assert again.status_code == 304 and again.data == b""


def test_no_logo_is_404(client, make_organisation):
    assert client.get(f"/organisations/{make_organisation().id}/logo.png").status_code == 404
    assert client.get("/organisations/999999/logo.png").status_code == 404


def test_a_suspended_organisations_logo_is_hidden_from_the_public_not_its_members(client, auth, org_admin):
    upload(client, org_admin, image_bytes())
    org = db.session.get(Organisation, org_admin.id)
    org.verification = "suspended"
    db.session.commit()
    member_view = client.get(f"/organisations/{org.id}/logo.png")
    assert member_view.status_code == 200
    assert member_view.headers["Cache-Control"] == "private, no-cache"
    client.post("/auth/logout")
    assert client.get(f"/organisations/{org.id}/logo.png?v={org.logo_version}").status_code == 404


# --- showing -----------------------------------------------------------------------------------------


def test_the_public_page_shows_the_logo(client, org_admin):
    upload(client, org_admin, image_bytes())
    client.post("/auth/logout")
    version = db.session.get(Organisation, org_admin.id).logo_version
    page = client.get(f"/organisations/{org_admin.id}").get_data(as_text=True)
    assert f'src="/organisations/{org_admin.id}/logo.png?v={version}"' in page


def test_an_offerings_page_shows_the_logo_beside_the_organisations_name(client, make_supplier, make_offering):
    party = make_supplier()
    offering = make_offering(party)
    logos.set_logo(party.user, party.organisation, image_bytes())
    version = party.organisation.logo_version
    page = client.get(f"/catalogue/offerings/{offering.id}").get_data(as_text=True)
    assert f'src="/organisations/{party.organisation.id}/logo.png?v={version}" alt=""' in page


def test_a_needs_page_shows_the_logo_beside_the_organisations_name(client, make_buyer, make_need):
    party = make_buyer()
    need = make_need(party)
    logos.set_logo(party.user, party.organisation, image_bytes())
    version = party.organisation.logo_version
    page = client.get(f"/catalogue/needs/{need.id}").get_data(as_text=True)
    assert f'src="/organisations/{party.organisation.id}/logo.png?v={version}" alt=""' in page


def _small_logo(organisation) -> str:
    """The logo beside the organisation's name in a list: 32 px, empty alt (the name is next to it)."""
    src = f"/organisations/{organisation.id}/logo.png?v={organisation.logo_version}"
    return f'<img class="org-logo " src="{src}" alt="" width="32" height="32"'


def test_proposal_cards_show_the_other_organisations_logo(client, auth, catalogue):
    from matchmaker.services import matching

    supplier = catalogue.bus_supplier
    logos.set_logo(supplier.user, supplier.organisation, image_bytes())
    auth.login(catalogue.buyer.user)
    page = client.get("/matches/").get_data(as_text=True)
    card = page[page.index(_small_logo(supplier.organisation)) :]
    assert card.index(supplier.organisation.name) < card.index("</p>")  # beside the name, in its line
    assert f"/organisations/{catalogue.sensor_supplier.organisation.id}/logo.png" not in page  # has none

    pair = (catalogue.bus_need.id, catalogue.bus_offering.id)
    matching.set_interest(catalogue.buyer.user, *pair, "interested")
    matching.set_interest(supplier.user, *pair, "interested")
    assert _small_logo(supplier.organisation) in client.get("/matches/mutual").get_data(as_text=True)


def test_the_participant_list_shows_logos_beside_the_organisations_names(
    client, auth, event, pair, organizer
):
    buyer, supplier = pair
    logos.set_logo(supplier.user, supplier.organisation, image_bytes())
    for viewer in (buyer.user, organizer):
        auth.login(viewer)
        page = client.get(f"/events/{event.id}/participants").get_data(as_text=True)
        logo = _small_logo(supplier.organisation)
        assert logo in page
        line = page[page.index(logo) :]
        assert line.index(supplier.organisation.name) < line.index("</p>")
    supplier.organisation.verification = "suspended"
    db.session.commit()
    page = client.get(f"/events/{event.id}/participants").get_data(as_text=True)
    assert f"/organisations/{supplier.organisation.id}/logo.png" not in page
