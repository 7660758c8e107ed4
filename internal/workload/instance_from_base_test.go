package workload

import "testing"

func TestInstanceFromBase(t *testing.T) {
	for ref, want := range map[string]string{
		"docker.io/swebench/sweb.eval.x86_64.django_1776_django-11099:latest":      "django__django-11099",
		"sweb.eval.arm64.pylint-dev_1776_pylint-4551":                              "pylint-dev__pylint-4551",
		"reg:5000/swebench/sweb.eval.x86_64.psf_1776_requests-2317@sha256:0123abc": "psf__requests-2317",
		"127.0.0.1:5000/swebench/django__django-11099:latest":                      "",
		"docker.io/swebench/sweb.eval.x86_64.django:latest":                        "",
		"": "",
	} {
		if got := InstanceFromBase(ref); got != want {
			t.Errorf("InstanceFromBase(%q) = %q, want %q", ref, got, want)
		}
	}
}
