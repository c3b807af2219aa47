from flask import Flask, jsonify, render_template, request


class JobEntrypoint:
    def perform(self, numbers: list[float]) -> float:
        """Add numbers."""
        return sum(numbers)

    def docs_input_example(self) -> dict:
        return {"numbers": [40, 2]}

    def webview_app(self, base_url: str):
        """
        A Flask app serving the job's UI at /api/v1/webview.
        WSGI apps see the full path, so routes start with base_url
        (/pub/job/<name>/<version>/api/v1/webview). Files of ./static are served by the
        runtime at <base_url>/static/<file>.
        """
        app = Flask(__name__, template_folder="templates", static_folder=None)

        @app.route(base_url + "/")
        def index():
            return render_template("index.html", base_url=base_url)

        @app.route(base_url + "/postme", methods=["POST"])
        def postme():
            return jsonify({"hello": request.get_json(force=True, silent=True)})

        @app.route(base_url + "/describe", methods=["GET", "POST"])
        def describe():
            return jsonify(
                {
                    "method": request.method,
                    "path": request.path,
                    "full_path": request.full_path,
                    "headers": dict(request.headers),
                    "body": request.get_data(as_text=True),
                    "remote_addr": request.remote_addr,
                    "host": request.host,
                }
            )

        @app.errorhandler(404)
        def not_found(error):
            return f"requested path was not found: {request.path}", 404

        return app.wsgi_app
