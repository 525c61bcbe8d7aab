"""Firmware campaigns (issue 17): UpdateFirmware to a selection of stations, a few at a time, with progress per
station from FirmwareStatusNotification and the version confirmed by the next BootNotification."""
