"""The staff API as the session tests call it."""


class Api:
    """The staff API as tests use it."""

    def __init__(self, client, headers):
        self.client = client
        self.headers = headers

    def post(self, path, body=None, **kwargs):
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers, **kwargs)

    def get(self, path):
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def patch(self, path, body):
        return self.client.patch(f"/api/v1{path}", json=body, headers=self.headers)

    def delete(self, path):
        return self.client.delete(f"/api/v1{path}", headers=self.headers)

    def new_session(self, **body):
        response = self.post("/sessions", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def register(self, session_id, **body):
        response = self.post(f"/sessions/{session_id}/registrations", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()
