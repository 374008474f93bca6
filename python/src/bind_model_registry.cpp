// Bindings of include/churn/model/registry.hpp (the model registry) in the submodule
// _core._model, which it shares with the churn model bundle's bindings (bind_model.cpp);
// python/churnlib/_registry.py wraps them as churnlib.ModelRegistry.
#include <pybind11/stl.h>  // std::vector, std::map <-> list, dict

#include <map>       // std::map
#include <optional>  // std::optional
#include <string>    // std::string
#include <utility>   // std::move
#include <vector>    // std::vector

#include "bindings.hpp"
#include "churn/core/json.hpp"
#include "churn/model/registry.hpp"

namespace churn::python {

namespace {

using model::ModelRegistry;
using model::ModelVersion;
using model::VersionSpec;

/// One version as a dict (the columns of ModelRegistry.list()).
py::dict version_dict(const ModelVersion& v) {
  py::dict d;
  d["name"] = v.name;
  d["version"] = v.version;
  d["stage"] = model::stage_name(v.stage);
  d["created_at"] = v.created_at;
  d["kind"] = v.kind;
  d["format_version"] = v.format_version;
  d["tags"] = v.tags;
  d["description"] = v.description;
  d["size"] = v.size;
  d["sha256"] = v.sha256;
  d["file"] = v.file;
  return d;
}

/// Registration and the lock-taking writer calls.
void def_registry_writers(py::class_<ModelRegistry>& cls) {
  cls.def(
         "register_text",
         [](ModelRegistry& self, const std::string& name, const std::string& text,
            const std::map<std::string, std::string>& tags, const std::string& description) {
           py::gil_scoped_release release;
           const Json doc = parse_json(text, "ModelRegistry.register(): the model's to_json()");
           return self.register_document(name, doc, tags, description);
         },
         py::arg("name"), py::arg("text"), py::arg("tags") = std::map<std::string, std::string>{},
         py::arg("description") = "")
      .def(
          "set_stage",
          [](ModelRegistry& self, const std::string& name, int version, const std::string& stage) {
            const auto s = model::stage_from_name(stage, "ModelRegistry.set_stage()");
            py::gil_scoped_release release;
            self.set_stage(name, version, s);
          },
          py::arg("name"), py::arg("version"), py::arg("stage"));
}

/// The readers: names, list, resolve, path, read_text (version specs as text).
void def_registry_readers(py::class_<ModelRegistry>& cls) {
  cls.def("names",
          [](const ModelRegistry& self) {
            py::gil_scoped_release release;
            return self.names();
          })
      .def(
          "list",
          [](const ModelRegistry& self, const std::optional<std::string>& name) {
            std::vector<ModelVersion> versions;
            {
              py::gil_scoped_release release;
              versions = name ? self.list(*name) : self.list_all();
            }
            py::list out;
            for (const auto& v : versions) out.append(version_dict(v));
            return out;
          },
          py::arg("name") = py::none())
      .def(
          "resolve",
          [](const ModelRegistry& self, const std::string& name, const std::string& version) {
            ModelVersion v;
            {
              py::gil_scoped_release release;
              v = self.resolve(name, VersionSpec(version));
            }
            return version_dict(v);
          },
          py::arg("name"), py::arg("version") = "latest")
      .def(
          "path",
          [](const ModelRegistry& self, const std::string& name, const std::string& version) {
            py::gil_scoped_release release;
            return self.path(name, VersionSpec(version));
          },
          py::arg("name"), py::arg("version") = "latest")
      .def(
          "read_text",
          [](const ModelRegistry& self, const std::string& name, const std::string& version) {
            py::gil_scoped_release release;
            return self.read_text(name, VersionSpec(version));
          },
          py::arg("name"), py::arg("version") = "latest");
}

}  // namespace

void bind_model_registry(py::module_& parent) {
  // def_submodule returns the module _core._model if bind_model() made it already
  py::module_ m = parent.def_submodule("_model");
  if (m.attr("__doc__").is_none()) m.doc() = "The compiled model folder (churnlib.model).";
  py::class_<ModelRegistry> cls(m, "ModelRegistry", "The compiled core of churnlib.ModelRegistry.");
  cls.def(py::init<std::string>(), py::arg("root"))
      .def_property_readonly("root", &ModelRegistry::root)
      .def_property_readonly("index_path", &ModelRegistry::index_path);
  def_registry_writers(cls);
  def_registry_readers(cls);
}

}  // namespace churn::python
