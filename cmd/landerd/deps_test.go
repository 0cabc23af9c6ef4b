package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestShippedBinaryLinksNoTestMachinery checks the packages the shipped
// binary links: neither package testing (which brings its flags and
// machinery along) nor anything under test/ (the fault injector, the
// harnesses), nor the fault injection switch. Of the module's own
// packages it links only cmd, pkg and internal ones.
func TestShippedBinaryLinksNoTestMachinery(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "testing" || strings.HasPrefix(pkg, "testing/") {
			t.Errorf("the shipped binary links %s", pkg)
		}
		if own, ok := strings.CutPrefix(pkg, module+"/"); ok && !productPackage(own) {
			t.Errorf("the shipped binary links %s, which is not a product package", pkg)
		}
	}
	out, err = exec.Command("go", "list", "-f", `{{join .GoFiles " "}}`, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "faultinject") {
		t.Errorf("the shipped binary compiles the fault injection switch: %s", out)
	}
}

// module is the module path of landerd's packages.
const module = "github.com/landerd/landerd"

// productPackage reports whether a package path (relative to the module)
// is part of the product: the command, the public packages and the
// internal ones (the two fakes the demo runs among them).
func productPackage(rel string) bool {
	for _, top := range []string{"cmd/", "pkg/", "internal/"} {
		if strings.HasPrefix(rel, top) {
			return true
		}
	}
	return false
}
