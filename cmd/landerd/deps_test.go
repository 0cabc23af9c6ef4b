package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestShippedBinaryLinksNoTestMachinery checks the packages the shipped
// binary links: neither package testing (which brings its flags and
// machinery along) nor the storage fault injector or its switch.
func TestShippedBinaryLinksNoTestMachinery(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "testing" || strings.HasPrefix(pkg, "testing/") || strings.HasSuffix(pkg, "/internal/faultfs") {
			t.Errorf("the shipped binary links %s", pkg)
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
