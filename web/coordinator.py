from flask import Blueprint

from web.auth import role_required

blueprint = Blueprint("coordinator", __name__, url_prefix="/dieu-phoi")


@blueprint.get("/")
@role_required("coordinator")
def dashboard():
    return "coordinator"
