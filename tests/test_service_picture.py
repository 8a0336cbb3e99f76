"""`lanewatch serve`: the picture-health settings reach every camera the service starts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lanewatch.config import PictureHealthConfig, ServiceSettings
from lanewatch.service import source_from_row
from lanewatch.store.tables import CameraRow


def test_the_services_picture_settings_are_each_cameras(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("LANEWATCH_PICTURE__CONFIRM_S", "45")
    settings = ServiceSettings(data_dir=tmp_path)
    assert settings.picture.confirm_s == 45
    row = CameraRow(id="gate", name="Gate", source_url="rtsp://10.0.0.9/stream1")
    assert source_from_row(row, settings.picture).picture.confirm_s == 45
    assert source_from_row(row).picture == PictureHealthConfig()  # without: the defaults


def test_a_misspelt_picture_setting_is_an_error(tmp_path) -> None:
    with pytest.raises(ValidationError, match="confirm"):
        ServiceSettings(data_dir=tmp_path, picture={"confirm": 5})
