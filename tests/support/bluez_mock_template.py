'''python-dbusmock's bluez5 template with the fixes and hooks the engine's tests need.

Loaded as a template file by bluez_mock.py. Everything comes from the upstream bluez5 template
(adapters, devices, pairing, agents) except:
- Device1.Connect/Disconnect keep the Connected *property* in step with the signal (upstream
  keeps a Python attribute only, so a later Get("Connected") disagrees);
- Adapter1.StartDiscovery/StopDiscovery only toggle Discovering (upstream also toggles
  Discoverable whenever a discovery filter is set, which bluer always sets);
- failures can be injected per device (or "adapter") and method with SetFailure; the error
  name "unconfirmed" makes Connect return without ever setting Connected (BlueZ accepted the
  call, the peer never completed it);
- org.bluez.Media1.RegisterPlayer/UnregisterPlayer on the adapter record the caller's bus
  name, the player's path and its properties (RegisteredPlayers returns them as JSON), so the
  driver can call the registered player's methods as BlueZ does on a peer's AVRCP command.
'''

import json
from pathlib import Path

import dbus
from dbusmock import mockobject as _mockobject

from dbusmock.templates import bluez5 as _base
from dbusmock.templates.bluez5 import *  # noqa: F401,F403  (AddAdapter, AddDevice, PairDevice, ...)

_FAILURES = {}


UNCONFIRMED = 'unconfirmed'


def _check(key, method):
    err = _FAILURES.get((str(key), str(method)))
    if err and err != UNCONFIRMED:
        raise dbus.exceptions.DBusException(f'injected failure of {method}', name=err)


def _set_props(obj, iface, props):
    obj.props[iface].update(props)
    obj.EmitSignal(dbus.PROPERTIES_IFACE, 'PropertiesChanged', 'sa{sv}as', [iface, props, []])


def _connect(device):
    props = device.props[DEVICE_IFACE]
    _check(props['Address'], 'Connect')
    if props['Connected']:
        raise dbus.exceptions.DBusException('Already Connected', name='org.bluez.Error.AlreadyConnected')
    if _FAILURES.get((str(props['Address']), 'Connect')) == UNCONFIRMED:
        return
    _set_props(device, DEVICE_IFACE, {'Connected': dbus.Boolean(True, variant_level=1)})


def _disconnect(device):
    props = device.props[DEVICE_IFACE]
    _check(props['Address'], 'Disconnect')
    if not props['Connected']:
        raise dbus.exceptions.DBusException('Not Connected', name='org.bluez.Error.NotConnected')
    _set_props(device, DEVICE_IFACE, {'Connected': dbus.Boolean(False, variant_level=1)})


def _pair(device):
    props = device.props[DEVICE_IFACE]
    _check(props['Address'], 'Pair')
    if props['Paired']:
        raise dbus.exceptions.DBusException('Device already paired', name='org.bluez.Error.AlreadyExists')
    adapter = _mockobject.objects[str(props['Adapter'])]
    bondable = bool(adapter.props[ADAPTER_IFACE].get('Pairable', False))
    device.PairDevice(Path(props['Adapter']).name, props['Address'], _base.MOCK_PHONE_CLASS)
    # As the kernel does: a pairing the board starts on a non-bondable (not Pairable) adapter
    # is made with "No Bonding", and BlueZ keeps no key: Paired, not Bonded.
    _set_props(device, DEVICE_IFACE, {'Bonded': dbus.Boolean(bondable, variant_level=1)})


def _start_discovery(adapter):
    _check('adapter', 'StartDiscovery')
    _set_props(adapter, ADAPTER_IFACE, {'Discovering': dbus.Boolean(True, variant_level=1)})


def _stop_discovery(adapter):
    _set_props(adapter, ADAPTER_IFACE, {'Discovering': dbus.Boolean(False, variant_level=1)})


_base.Connect = _connect
_base.Disconnect = _disconnect
_base.Pair = _pair
_base.StartDiscovery = _start_discovery
_base.StopDiscovery = _stop_discovery


@dbus.service.method(BLUEZ_MOCK_IFACE, in_signature='sss', out_signature='')
def SetFailure(_self, key, method, error_name):
    '''Makes `method` on device `key` (its address, or "adapter") fail with `error_name`;
    an empty error name clears the failure.'''
    if error_name:
        _FAILURES[(str(key), str(method))] = str(error_name)
    else:
        _FAILURES.pop((str(key), str(method)), None)


MEDIA_IFACE = 'org.bluez.Media1'
_PLAYERS = {}  # (bus name, object path) -> properties


def _plain(v):
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, (dbus.Double, float)):
        return float(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return str(v)


def _adapter_only(obj):
    if ADAPTER_IFACE not in getattr(obj, 'props', {}):
        raise dbus.exceptions.DBusException('Media1 is on the adapter only',
                                            name='org.freedesktop.DBus.Error.UnknownMethod')


@dbus.service.method(MEDIA_IFACE, in_signature='oa{sv}', out_signature='', sender_keyword='sender')
def RegisterPlayer(obj, path, props, sender=None):
    _adapter_only(obj)
    _check('adapter', 'RegisterPlayer')
    key = (str(sender), str(path))
    if key in _PLAYERS:
        raise dbus.exceptions.DBusException('Already Exists', name='org.bluez.Error.AlreadyExists')
    _PLAYERS[key] = {'adapter': str(obj.path), 'properties': _plain(props)}


@dbus.service.method(MEDIA_IFACE, in_signature='o', out_signature='', sender_keyword='sender')
def UnregisterPlayer(obj, path, sender=None):
    _adapter_only(obj)
    if _PLAYERS.pop((str(sender), str(path)), None) is None:
        raise dbus.exceptions.DBusException('Does Not Exist', name='org.bluez.Error.DoesNotExist')


@dbus.service.method(BLUEZ_MOCK_IFACE, in_signature='', out_signature='s')
def RegisteredPlayers(_self):
    '''The registered players as a JSON list of {sender, path, adapter, properties}.'''
    return json.dumps([dict(sender=k[0], path=k[1], **v) for k, v in sorted(_PLAYERS.items())])
