from flask import Blueprint

from web.auth import role_required

blueprint = Blueprint("youth", __name__, url_prefix="/thanh-doan")


@blueprint.get("/")
@role_required("coordinator", "youth_union")
def students():
    return "youth"
