from flask import Blueprint, jsonify

from web import store

blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.get("/wards")
def wards():
    campaign = store.campaign()
    if campaign is None:
        return jsonify(wards=[])
    return jsonify(wards=[{"code": w.code, "name": w.name} for w in campaign.wards])
