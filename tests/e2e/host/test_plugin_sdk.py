"""The SDK's promise: with only concertd/plugin.h, cmake/ConcertdPlugin.cmake
and plugins/README.md, a developer writes a plugin in a folder of their
own, builds it out of tree, loads it by naming it in the configuration,
and sees its command answer and its events published."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import CONCERTD, SOURCE, Daemon, recv_event, subscriber, sync_subscriber

PLUGIN = r'''
#include <string.h>
#include <concertd/plugin.h>

static const cd_host_api *api;
static cd_host *self;

static int greet(cd_req *req, void *data)
{
    (void)data;
    const msgpack_object *args = api->req_args(req);
    const char *name = "monde";
    size_t len = 5;
    for (uint32_t i = 0; i < args->via.map.size; i++) {
        const msgpack_object *k = &args->via.map.ptr[i].key, *v = &args->via.map.ptr[i].val;
        if (k->via.str.size == 6 && !memcmp(k->via.str.ptr, "region", 6) && v->type == MSGPACK_OBJECT_STR) {
            name = v->via.str.ptr;
            len = v->via.str.size;
        }
    }
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "who", 3);
    msgpack_pack_str_with_body(&pk, name, len);
    char region[64] = {0};
    memcpy(region, name, len < 63 ? len : 63);
    int rc = api->emit(self, region, "hello.greeted", b.data, b.size);
    msgpack_sbuffer_destroy(&b);
    if (rc != 0)
        return api->req_fail(req, "not_found", "region", "région inconnue");
    msgpack_packer *r = api->req_result(req);
    msgpack_pack_str_with_body(r, "Bonjour ", 8);
    return 0;
}

static int init(cd_host *h, const cd_host_api *a, void **state)
{
    (void)state;
    api = a;
    self = h;
    static const cd_param args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région à saluer", .help_en = "the region to greet"}, CD_END};
    const cd_op_spec spec = {"hello.greet", greet, NULL, args, "salue une région", "greets a region"};
    return api->register_op(h, &spec);
}

CD_PLUGIN("hello", "0.1", init, NULL);
'''

CMAKE = '''
cmake_minimum_required(VERSION 3.18)
project(hello C)
include(%s/cmake/ConcertdPlugin.cmake)
concertd_add_plugin(hello SOURCES hello.c INCLUDE_DIR %s/core/include)
'''

# The same plugin against an installed SDK: find_package, as plugins/README.md says.
CMAKE_INSTALLED = '''
cmake_minimum_required(VERSION 3.18)
project(hello C)
find_package(concertd 0.1 REQUIRED)
concertd_add_plugin(hello SOURCES hello.c)
install(TARGETS hello LIBRARY DESTINATION ${CONCERTD_PLUGIN_DIR})
'''
BUILD = os.path.dirname(os.path.dirname(CONCERTD))  # build/core/concertd


class PluginSdk(unittest.TestCase):
    def check_plugin(self, plugin_dir):
        """Loads hello from plugin_dir: its command answers, its event is published."""
        d = Daemon(config="[plugins]\npath = %s\nload = hello\n" % plugin_dir)
        d.start()
        try:
            c = d.client()
            c.ok("region.create", id="laurentides", name="Laurentides")
            sub = subscriber(d.events, "laurentides/")
            sync_subscriber(sub, c, "laurentides")
            self.assertEqual(c.ok("hello.greet", region="laurentides"), "Bonjour ")
            topic, ev = recv_event(sub)
            self.assertEqual(topic, "laurentides/hello.greeted")
            self.assertEqual(ev["data"], {"who": "laurentides"})
            self.assertIn("hello.greet", {op["name"] for op in c.ok("node.info")["ops"]})
            self.assertEqual(c.error("hello.greet", region="nowhere")["code"], "not_found")
            sub.close(0)
            c.close()
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()

    def run_ok(self, cmd, **kw):
        r = subprocess.run(cmd, capture_output=True, timeout=240, **kw)
        self.assertEqual(r.returncode, 0, " ".join(cmd) + "\n" + r.stdout.decode() + r.stderr.decode())
        return r.stdout.decode()

    def test_installed_sdk_by_find_package_and_pkg_config(self):
        work = tempfile.mkdtemp(prefix="concertd-sdk-")
        try:
            root = os.path.join(work, "root")  # cmake --install with DESTDIR: /usr is root/usr
            self.run_ok(["cmake", "--install", BUILD], env=dict(os.environ, DESTDIR=root))
            prefix = root + "/usr"
            self.assertTrue(os.path.exists(prefix + "/include/concertd/plugin.h"))
            with open(os.path.join(work, "hello.c"), "w") as f:
                f.write(PLUGIN)
            with open(os.path.join(work, "CMakeLists.txt"), "w") as f:
                f.write(CMAKE_INSTALLED)
            build = os.path.join(work, "build")
            self.run_ok(["cmake", "-S", work, "-B", build, "-DCMAKE_PREFIX_PATH=" + prefix])
            self.run_ok(["cmake", "--build", build])
            staged = os.path.join(work, "staged")
            self.run_ok(["cmake", "--install", build], env=dict(os.environ, DESTDIR=staged))
            # Installed where the installed daemon looks: [plugins] path of its configuration.
            with open(root + "/etc/concertd/concertd.conf") as f:
                conf = f.read()
            plugin_path = [l.split("=", 1)[1].strip() for l in conf.splitlines() if l.startswith("path = ")][0]
            self.assertTrue(os.path.exists(staged + plugin_path + "/hello.so"), os.listdir(staged))
            self.check_plugin(staged + plugin_path)
            # pkg-config, for a Makefile of one line.
            pc = [os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs if f == "concertd-plugin.pc"][0]
            env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pc), PKG_CONFIG_SYSROOT_DIR=root)
            cflags = self.run_ok(["pkg-config", "--cflags", "concertd-plugin"], env=env).split()
            self.assertIn("-I" + prefix + "/include", cflags)
            self.assertEqual(self.run_ok(["pkg-config", "--variable=plugindir", "concertd-plugin"], env=dict(
                os.environ, PKG_CONFIG_PATH=os.path.dirname(pc))).strip(), plugin_path)
            out = os.path.join(work, "pc", "hello.so")
            os.makedirs(os.path.dirname(out))
            self.run_ok(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-o", out, os.path.join(work, "hello.c")]
                        + cflags)
            self.check_plugin(os.path.dirname(out))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def test_out_of_tree_plugin(self):
        work = tempfile.mkdtemp(prefix="concertd-sdk-")
        try:
            with open(os.path.join(work, "hello.c"), "w") as f:
                f.write(PLUGIN)
            with open(os.path.join(work, "CMakeLists.txt"), "w") as f:
                f.write(CMAKE % (SOURCE, SOURCE))
            build = os.path.join(work, "build")
            for cmd in (["cmake", "-S", work, "-B", build], ["cmake", "--build", build]):
                r = subprocess.run(cmd, capture_output=True, timeout=240)
                self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
            self.assertTrue(os.path.exists(os.path.join(build, "plugins", "hello.so")))
            self.check_plugin(os.path.join(build, "plugins"))
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
