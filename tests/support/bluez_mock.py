#!/usr/bin/python3
'''Test helper: a private dbus-daemon acting as the system bus, with python-dbusmock's bluez5
template (plus bluez_mock_template.py) and one adapter hci0. Prints {"address": ...} on stdout,
then executes JSON-line commands from stdin (one JSON answer line each) to play the phone's
part. Kills the bus and the mock when stdin closes. Run with /usr/bin/python3 (Debian's dbus
and dbusmock modules).'''

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import dbus

HERE = os.path.dirname(os.path.abspath(__file__))
MOCK = 'org.freedesktop.DBus.Mock'
BLUEZ_MOCK = 'org.bluez.Mock'
DEVICE = 'org.bluez.Device1'
ADAPTER = 'org.bluez.Adapter1'
TRANSPORT = 'org.bluez.MediaTransport1'
PLAYER = 'org.bluez.MediaPlayer1'
MPRIS_PLAYER = 'org.mpris.MediaPlayer2.Player'
OM = 'org.freedesktop.DBus.ObjectManager'
ADAPTER_PATH = '/org/bluez/hci0'

children = []
tmpdirs = []


def cleanup(*_):
    for c in reversed(children):
        if c.poll() is None:
            c.terminate()
            try:
                c.wait(timeout=5)
            except subprocess.TimeoutExpired:
                c.kill()
    for d in tmpdirs:
        shutil.rmtree(d, ignore_errors=True)
    sys.exit(0)


def dev_path(mac):
    return ADAPTER_PATH + '/dev_' + mac.replace(':', '_').upper()


def variant(v):
    if isinstance(v, bool):
        return dbus.Boolean(v, variant_level=1)
    if isinstance(v, int):
        return dbus.UInt32(v, variant_level=1)
    if isinstance(v, list):
        return dbus.Array(v, signature='s', variant_level=1)
    return dbus.String(v, variant_level=1)


def find_agent(bus, path):
    '''The object at `path` of whichever connection serves org.bluez.Agent1 there.'''
    for name in bus.list_names():
        if not name.startswith(':'):
            continue
        try:
            xml = bus.get_object(name, path, introspect=False).Introspect(
                dbus_interface='org.freedesktop.DBus.Introspectable', timeout=2)
        except dbus.exceptions.DBusException:
            continue
        if 'org.bluez.Agent1' in xml:
            return bus.get_object(name, path, introspect=False)
    raise ValueError('no agent at ' + path)


def agent_args(method, args):
    '''The Agent1 arguments after the device path, typed as bluetoothd sends them.'''
    if method in ('RequestConfirmation',):
        return [dbus.UInt32(args[0])]
    if method == 'DisplayPasskey':
        return [dbus.UInt32(args[0]), dbus.UInt16(args[1])]
    if method in ('DisplayPinCode', 'AuthorizeService'):
        return [dbus.String(args[0])]
    return []


def main():
    signal.signal(signal.SIGTERM, cleanup)
    tmp = tempfile.mkdtemp(prefix='ama-bluez-')
    tmpdirs.append(tmp)
    daemon = subprocess.Popen(
        ['dbus-daemon', '--session', '--nofork', '--print-address=1',
         '--address=unix:path=' + os.path.join(tmp, 'system_bus')],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    children.append(daemon)
    address = daemon.stdout.readline().strip()
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address)
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    mock = subprocess.Popen(
        ['/usr/bin/python3', '-m', 'dbusmock', '--system', '--template',
         os.path.join(HERE, 'bluez_mock_template.py')],
        env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, 'mock.log'), 'w'))
    children.append(mock)
    bus = dbus.bus.BusConnection(address)
    deadline = time.time() + 60
    while not bus.name_has_owner('org.bluez'):
        if time.time() > deadline or mock.poll() is not None:
            print(json.dumps({'error': 'dbusmock did not start'}), flush=True)
            cleanup()
        time.sleep(0.05)
    root = bus.get_object('org.bluez', '/')
    root.AddAdapter('hci0', 'Test Headset', dbus_interface=BLUEZ_MOCK)
    print(json.dumps({'address': address, 'adapter': ADAPTER_PATH}), flush=True)

    def obj(path):
        return bus.get_object('org.bluez', path)

    def added(path, iface, props):
        root.EmitSignal(OM, 'InterfacesAdded', 'oa{sa{sv}}',
                        [dbus.ObjectPath(path), {iface: props}], dbus_interface=MOCK)

    def removed(path, iface):
        root.EmitSignal(OM, 'InterfacesRemoved', 'oas',
                        [dbus.ObjectPath(path), [iface]], dbus_interface=MOCK)

    monitor_log = []
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        op = cmd.get('op')
        mac = cmd.get('mac', '')
        try:
            result = None
            if op == 'add_device':
                result = str(root.AddDevice('hci0', mac, cmd.get('name', ''), dbus_interface=BLUEZ_MOCK))
            elif op == 'pair_peer':
                root.PairDevice('hci0', mac, 5898764, dbus_interface=BLUEZ_MOCK)
            elif op == 'connect_peer':
                root.ConnectDevice('hci0', mac, dbus_interface=BLUEZ_MOCK)
            elif op == 'disconnect_peer':
                root.DisconnectDevice('hci0', mac, dbus_interface=BLUEZ_MOCK)
            elif op == 'set_device':
                props = {k: variant(v) for k, v in cmd['props'].items()}
                obj(dev_path(mac)).UpdateProperties(DEVICE, props, dbus_interface=MOCK)
            elif op == 'set_adapter':
                props = {k: variant(v) for k, v in cmd['props'].items()}
                obj(ADAPTER_PATH).UpdateProperties(ADAPTER, props, dbus_interface=MOCK)
            elif op == 'get_device':
                result = obj(dev_path(mac)).Get(DEVICE, cmd['prop'], dbus_interface=dbus.PROPERTIES_IFACE)
            elif op == 'get_adapter':
                result = obj(ADAPTER_PATH).Get(ADAPTER, cmd['prop'], dbus_interface=dbus.PROPERTIES_IFACE)
            elif op == 'device_exists':
                result = dev_path(mac) in [str(p) for p in root.GetManagedObjects(dbus_interface=OM)]
            elif op == 'fail':
                root.SetFailure(cmd['key'], cmd['method'], cmd.get('error', ''), dbus_interface=BLUEZ_MOCK)
            elif op == 'add_transport':
                path = dev_path(mac) + '/fd0'
                props = {
                    'State': dbus.String(cmd.get('state', 'idle'), variant_level=1),
                    'UUID': dbus.String(cmd.get('uuid', '0000110b-0000-1000-8000-00805f9b34fb'), variant_level=1),
                    'Device': dbus.ObjectPath(dev_path(mac), variant_level=1),
                }
                root.AddObject(path, TRANSPORT, props, [], dbus_interface=MOCK)
                added(path, TRANSPORT, props)
                result = path
            elif op == 'transport_state':
                obj(dev_path(mac) + '/fd0').UpdateProperties(
                    TRANSPORT, {'State': dbus.String(cmd['state'], variant_level=1)}, dbus_interface=MOCK)
            elif op == 'remove_transport':
                path = dev_path(mac) + '/fd0'
                root.RemoveObject(path, dbus_interface=MOCK)
                removed(path, TRANSPORT)
            elif op == 'add_player':
                path = dev_path(mac) + '/player0'
                props = {
                    'Device': dbus.ObjectPath(dev_path(mac), variant_level=1),
                    'Status': dbus.String('stopped', variant_level=1),
                }
                methods = [(m, '', '', '') for m in ('Play', 'Pause', 'Stop', 'Next', 'Previous')]
                root.AddObject(path, PLAYER, props, methods, dbus_interface=MOCK)
                added(path, PLAYER, props)
                result = path
            elif op == 'fail_player':
                code = "raise dbus.exceptions.DBusException('injected', name='org.bluez.Error.Failed')"
                obj(dev_path(mac) + '/player0').AddMethod(PLAYER, cmd['method'], '', '', code,
                                                          dbus_interface=MOCK)
            elif op == 'player_calls':
                calls = obj(dev_path(mac) + '/player0').GetCalls(dbus_interface=MOCK)
                result = [str(c[1]) for c in calls]
            elif op == 'registered_players':
                result = json.loads(str(root.RegisteredPlayers(dbus_interface=BLUEZ_MOCK)))
            elif op == 'avrcp':
                # What BlueZ does on a peer's AVRCP command: call the registered player.
                players = json.loads(str(root.RegisteredPlayers(dbus_interface=BLUEZ_MOCK)))
                if not players:
                    raise ValueError('no registered player')
                for p in players:
                    player = bus.get_object(p['sender'], p['path'], introspect=False)
                    player.get_dbus_method(cmd['method'], MPRIS_PLAYER)()
                result = len(players)
            elif op == 'player_status':
                players = json.loads(str(root.RegisteredPlayers(dbus_interface=BLUEZ_MOCK)))
                if not players:
                    raise ValueError('no registered player')
                player = bus.get_object(players[0]['sender'], players[0]['path'], introspect=False)
                result = str(player.Get(MPRIS_PLAYER, 'PlaybackStatus', dbus_interface=dbus.PROPERTIES_IFACE))
            elif op == 'monitor_player':
                # Records the signals our player sends (what BlueZ would listen to).
                log = open(os.path.join(tmp, 'player-signals.log'), 'w')
                mon = subprocess.Popen(
                    ['dbus-monitor', '--address', address, '--monitor',
                     "type='signal',path='" + cmd['path'] + "'"],
                    stdout=log, stderr=subprocess.DEVNULL)
                children.append(mon)
                deadline = time.time() + 30
                # The monitor announces itself (NameLost of its unique name) once active.
                while 'NameLost' not in open(log.name).read():
                    if time.time() > deadline or mon.poll() is not None:
                        raise RuntimeError('dbus-monitor did not start')
                    time.sleep(0.05)
                monitor_log.append(log.name)
            elif op == 'player_statuses':
                lines = open(monitor_log[-1]).read().splitlines()
                result = []
                for i, l in enumerate(lines):
                    if l.strip() == 'string "PlaybackStatus"' and i + 1 < len(lines):
                        v = lines[i + 1].strip()
                        if v.startswith('variant') and v.endswith('"'):
                            result.append(v.rsplit('"', 2)[1])
            elif op == 'agent_registrations':
                calls = obj('/org/bluez').GetCalls(dbus_interface=MOCK)
                result = [[str(c[1])] + [str(a) for a in c[2]] for c in calls
                          if str(c[1]) in ('RegisterAgent', 'RequestDefaultAgent', 'UnregisterAgent')]
            elif op == 'agent':
                # What bluetoothd does: call the registered agent (found by introspection).
                agent = find_agent(bus, cmd['path'])
                args = [] if cmd['method'] in ('Cancel', 'Release') else \
                    [dbus.ObjectPath(dev_path(mac))] + agent_args(cmd['method'], cmd.get('args', []))
                reply = agent.get_dbus_method(cmd['method'], 'org.bluez.Agent1')(*args)
                result = None if reply is None else str(reply)
            elif op == 'quit':
                print(json.dumps({'ok': True}), flush=True)
                break
            else:
                raise ValueError('unknown op ' + str(op))
            if isinstance(result, dbus.Boolean):
                result = bool(result)
            elif isinstance(result, (dbus.UInt32, dbus.Int32, dbus.UInt16, dbus.Int16)):
                result = int(result)
            elif isinstance(result, dbus.String):
                result = str(result)
            print(json.dumps({'ok': True, 'result': result}), flush=True)
        except Exception as e:  # answer every command, never die on one
            print(json.dumps({'ok': False, 'error': str(e)}), flush=True)
    cleanup()


if __name__ == '__main__':
    main()
