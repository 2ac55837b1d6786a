"""Getting the badge PDF as an organizer does: ask for it on the check-in page (a POST), follow to the job's
page (the tests run jobs at once: TASK_MODE "eager"), and download the file that page offers."""

import re

DEFAULT_SIZE = "86x54"


def request_badges(
    client, event_id: int, size: str | None = DEFAULT_SIZE, registration: int | str | None = None
):
    """The response to the check-in page's badge form (a redirect to the job's page when it is accepted)."""
    query = f"?registration={registration}" if registration is not None else ""
    data = {"size": size} if size is not None else {}
    return client.post(f"/events/{event_id}/badges{query}", data=data)


def job_file_links(page: str) -> list[str]:
    return re.findall(r'href="(/jobs/\d+/files/\d+)"', page)


def download_badges(
    client, event_id: int, size: str = DEFAULT_SIZE, registration: int | None = None
) -> bytes:
    """The PDF of the badges, through the job's page and its download link."""
    response = request_badges(client, event_id, size, registration)
    assert response.status_code == 303, response.status_code
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    [link] = job_file_links(page)
    download = client.get(link)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    return download.data
