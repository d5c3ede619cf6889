# A real alsa-lib client for e2e_test.go, through ctypes (no alsa-utils on
# the test machine): it enumerates the card like aplay -l, then plays a
# raw S16_LE stereo 48 kHz file to hw:0,0 or records one from it, in
# blocking mode (alsa-lib opens with O_NONBLOCK and clears it with fcntl).
import ctypes
import sys

a = ctypes.CDLL("libasound.so.2")
a.snd_pcm_writei.restype = ctypes.c_long
a.snd_pcm_readi.restype = ctypes.c_long
a.snd_strerror.restype = ctypes.c_char_p


def chk(r, what):
    if r < 0:
        print("FAIL", what, a.snd_strerror(r).decode(), flush=True)
        sys.exit(1)
    return r


card = ctypes.c_int(-1)
chk(a.snd_card_next(ctypes.byref(card)), "snd_card_next")
name = ctypes.c_char_p()
chk(a.snd_card_get_name(card, ctypes.byref(name)), "snd_card_get_name")
print("card", card.value, name.value.decode(), flush=True)

ctl = ctypes.c_void_p()
chk(a.snd_ctl_open(ctypes.byref(ctl), b"hw:0", 0), "snd_ctl_open")
dev = ctypes.c_int(-1)
devs = []
while True:
    chk(a.snd_ctl_pcm_next_device(ctl, ctypes.byref(dev)), "snd_ctl_pcm_next_device")
    if dev.value < 0:
        break
    devs.append(dev.value)
print("devices", devs, flush=True)
a.snd_ctl_close(ctl)

mode = sys.argv[1]
if mode == "mixer":
    # amixer cset + alsactl monitor: list, write by name, one event, read back, TLV.
    vp = ctypes.c_void_p
    a.snd_ctl_elem_list_get_name.restype = ctypes.c_char_p
    a.snd_ctl_elem_value_get_integer.restype = ctypes.c_long
    chk(a.snd_ctl_open(ctypes.byref(ctl), b"hw:0", 0), "snd_ctl_open")
    lst = vp()
    chk(a.snd_ctl_elem_list_malloc(ctypes.byref(lst)), "list_malloc")
    chk(a.snd_ctl_elem_list(ctl, lst), "snd_ctl_elem_list count")
    count = a.snd_ctl_elem_list_get_count(lst)
    chk(a.snd_ctl_elem_list_alloc_space(lst, count), "alloc_space")
    chk(a.snd_ctl_elem_list(ctl, lst), "snd_ctl_elem_list")
    names = [a.snd_ctl_elem_list_get_name(lst, i).decode() for i in range(a.snd_ctl_elem_list_get_used(lst))]
    print("controls", count, names, flush=True)
    eid = vp()
    chk(a.snd_ctl_elem_id_malloc(ctypes.byref(eid)), "id_malloc")
    a.snd_ctl_elem_id_set_interface(eid, 2)  # MIXER
    a.snd_ctl_elem_id_set_name(eid, b"Master Playback Volume")
    val = vp()
    chk(a.snd_ctl_elem_value_malloc(ctypes.byref(val)), "value_malloc")
    a.snd_ctl_elem_value_set_id(val, eid)
    a.snd_ctl_elem_value_set_integer(val, 0, 40)
    a.snd_ctl_elem_value_set_integer(val, 1, 60)
    chk(a.snd_ctl_subscribe_events(ctl, 1), "subscribe")
    chk(a.snd_ctl_elem_write(ctl, val), "snd_ctl_elem_write")
    ev = vp()
    chk(a.snd_ctl_event_malloc(ctypes.byref(ev)), "event_malloc")
    n = chk(a.snd_ctl_read(ctl, ev), "snd_ctl_read")
    print("event", n, a.snd_ctl_event_elem_get_mask(ev), a.snd_ctl_event_elem_get_numid(ev), flush=True)
    back = vp()
    chk(a.snd_ctl_elem_value_malloc(ctypes.byref(back)), "value_malloc")
    a.snd_ctl_elem_value_set_id(back, eid)
    chk(a.snd_ctl_elem_read(ctl, back), "snd_ctl_elem_read")
    print("value", a.snd_ctl_elem_value_get_integer(back, 0), a.snd_ctl_elem_value_get_integer(back, 1), flush=True)
    tlv = (ctypes.c_uint * 16)()
    chk(a.snd_ctl_elem_tlv_read(ctl, eid, tlv, ctypes.sizeof(tlv)), "snd_ctl_elem_tlv_read")
    print("tlv", list(tlv[:4]), flush=True)
    a.snd_ctl_close(ctl)
    sys.exit(0)

if mode == "spin":
    # A poll-spinning client's cost: N snd_pcm_hwsync calls (one HWSYNC or
    # SYNC_PTR ioctl each) on a prepared stream.
    import time
    n = int(sys.argv[2])
    pcm = ctypes.c_void_p()
    chk(a.snd_pcm_open(ctypes.byref(pcm), b"hw:0,0", 0, 1), "snd_pcm_open")  # SND_PCM_NONBLOCK
    chk(a.snd_pcm_set_params(pcm, 2, 3, 2, 48000, 1, 100000), "snd_pcm_set_params")
    chk(a.snd_pcm_prepare(pcm), "snd_pcm_prepare")
    t0 = time.perf_counter()
    for i in range(n):
        chk(a.snd_pcm_hwsync(pcm), "snd_pcm_hwsync")
    dt = time.perf_counter() - t0
    a.snd_pcm_close(pcm)
    print("spin %d calls %.2f us each" % (n, dt / n * 1e6), flush=True)
    sys.exit(0)

path = sys.argv[2]
pcm = ctypes.c_void_p()
FORMAT_S16_LE, ACCESS_RW_INTERLEAVED, ACCESS_MMAP_INTERLEAVED = 2, 3, 0
a.snd_pcm_mmap_writei.restype = ctypes.c_long
if mode in ("play", "mmapplay"):
    chk(a.snd_pcm_open(ctypes.byref(pcm), b"hw:0,0", 0, 0), "snd_pcm_open")
    access = ACCESS_MMAP_INTERLEAVED if mode == "mmapplay" else ACCESS_RW_INTERLEAVED
    write = a.snd_pcm_mmap_writei if mode == "mmapplay" else a.snd_pcm_writei
    chk(a.snd_pcm_set_params(pcm, FORMAT_S16_LE, access, 2, 48000, 1, 100000), "snd_pcm_set_params")
    data = open(path, "rb").read()
    frames = len(data) // 4
    buf = ctypes.create_string_buffer(data, len(data))
    off = 0
    while off < frames:
        off += chk(write(pcm, ctypes.byref(buf, off * 4), frames - off), "snd_pcm_writei")
    chk(a.snd_pcm_drain(pcm), "snd_pcm_drain")
    chk(a.snd_pcm_close(pcm), "snd_pcm_close")
    print("played", frames, flush=True)
else:
    frames = int(sys.argv[3])
    chk(a.snd_pcm_open(ctypes.byref(pcm), b"hw:0,0", 1, 0), "snd_pcm_open")
    chk(a.snd_pcm_set_params(pcm, FORMAT_S16_LE, ACCESS_RW_INTERLEAVED, 2, 48000, 1, 100000), "snd_pcm_set_params")
    buf = ctypes.create_string_buffer(frames * 4)
    got = 0
    while got < frames:
        got += chk(a.snd_pcm_readi(pcm, ctypes.byref(buf, got * 4), frames - got), "snd_pcm_readi")
    chk(a.snd_pcm_close(pcm), "snd_pcm_close")
    open(path, "wb").write(buf.raw)
    print("recorded", frames, flush=True)
