package detect

import "testing"

func TestFoldHash(t *testing.T) {
	for _, pair := range [][2]string{
		{"DescribeInstances", "describeinstances"},
		{"EC2.AMAZONAWS.COM", "ec2.amazonaws.com"},
		{"A", "a"}, {"", ""}, {"@[`{", "@[`{"},
	} {
		if foldHash(pair[0]) != foldHash(pair[1]) {
			t.Errorf("foldHash(%q) != foldHash(%q)", pair[0], pair[1])
		}
	}
	for _, pair := range [][2]string{{"@", "`"}, {"[", "{"}, {"ab", "ab\x00"}, {"CreateRoute", "CreateRoutes"}, {"DescribeInstances", "DescribeInstancez"}} {
		if foldHash(pair[0]) == foldHash(pair[1]) {
			t.Errorf("foldHash(%q) == foldHash(%q)", pair[0], pair[1])
		}
	}
}
