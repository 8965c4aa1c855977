from flask import Blueprint

blueprint = Blueprint("volunteer", __name__, url_prefix="/ca-truc")


@blueprint.get("/")
def lookup():
    return "volunteer"
