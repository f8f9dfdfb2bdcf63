package s3_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailkit/trailkit/sink/s3"
)

func ExampleParseURL() {
	bucket, prefix, err := s3.ParseURL("s3://my-trail-bucket/team-a/AWSLogs/")
	fmt.Printf("%q %q %v\n", bucket, prefix, err)
	_, _, err = s3.ParseURL("s3:/my-trail-bucket")
	fmt.Println(err)
	// Output:
	// "my-trail-bucket" "team-a/AWSLogs/" <nil>
	// S3 URL "s3:/my-trail-bucket": does not start with s3://
}

// An S3 sink takes the caller's client. For an S3-compatible server such as
// MinIO, set the endpoint and path-style addressing on the client.
func ExampleNew() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx) // profiles, environment, instance roles
	if err != nil {
		log.Fatal(err)
	}
	client := awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		o.BaseEndpoint = aws.String("http://127.0.0.1:9000")
		o.UsePathStyle = true
	})
	s := s3.New(client, "my-trail-bucket", s3.Options{ServerSideEncryption: "aws:kms", KMSKeyID: "alias/trail"})
	for info, err := range s.List(ctx, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/", "") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(info.Key)
	}
}
