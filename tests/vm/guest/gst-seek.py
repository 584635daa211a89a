#!/usr/bin/python3
"""A GStreamer client that seeks, as a player does: decodes FILE through the pipeline fragment
ELEMENTS to raw FORMAT into OUT, and after AFTER pictures makes one flushing key-unit seek to
TO_NS nanoseconds; every picture written is listed in OUT.pts (its timestamp in ns, one a line),
so the test can tell which pictures came before and after the seek. Exits 0 at end of stream,
1 on an error or after 240 s.

usage: gst-seek.py FILE ELEMENTS FORMAT OUT AFTER TO_NS
"""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

path, elements, fmt, out, after, to_ns = sys.argv[1:7]
after, to_ns = int(after), int(to_ns)
Gst.init(None)
# fakesink's handoff comes from its render: only pictures the flush did not drop are written.
pipeline = Gst.parse_launch(
    f"filesrc location={path} ! {elements} ! video/x-raw,format={fmt} "
    "! fakesink name=sink sync=false signal-handoffs=true"
)
sink = open(out, "wb")
loop = GLib.MainLoop()
pts = []
status = {"code": 1, "seeked": False}


def seek():
    ok = pipeline.seek_simple(
        Gst.Format.TIME,
        Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT | Gst.SeekFlags.SNAP_BEFORE,
        to_ns,
    )
    print(f"seek to {to_ns} ns after {len(pts)} pictures: {'sent' if ok else 'refused'}", flush=True)
    if not ok:
        loop.quit()
    return False


def on_buffer(_sink, buf, _pad):
    ok, info = buf.map(Gst.MapFlags.READ)
    if not ok:
        print("cannot map a picture", flush=True)
        GLib.idle_add(loop.quit)
        return
    sink.write(bytes(info.data))
    buf.unmap(info)
    pts.append(buf.pts)
    if len(pts) == after and not status["seeked"]:
        status["seeked"] = True
        GLib.idle_add(seek)


def on_message(_bus, msg):
    if msg.type == Gst.MessageType.EOS:
        status["code"] = 0 if status["seeked"] else 1
        loop.quit()
    elif msg.type == Gst.MessageType.ERROR:
        err, dbg = msg.parse_error()
        print(f"error: {err.message} ({dbg})", flush=True)
        loop.quit()


pipeline.get_by_name("sink").connect("handoff", on_buffer)
bus = pipeline.get_bus()
bus.add_signal_watch()
bus.connect("message", on_message)
GLib.timeout_add_seconds(240, loop.quit)
pipeline.set_state(Gst.State.PLAYING)
loop.run()
pipeline.set_state(Gst.State.NULL)
sink.close()
with open(out + ".pts", "w") as f:
    f.write("".join(f"{p}\n" for p in pts))
print(f"{len(pts)} pictures, exit {status['code']}", flush=True)
sys.exit(status["code"])
