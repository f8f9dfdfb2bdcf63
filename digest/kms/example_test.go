package kms_test

import (
	"context"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/digest/kms"
)

// Digests signed by a key that never leaves KMS: the signer goes where a
// digest.RSASigner would, and validators fetch the public key from KMS.
func ExampleNew() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx) // profiles, environment, AWS_ENDPOINT_URL_KMS
	if err != nil {
		log.Fatal(err)
	}
	client := awskms.NewFromConfig(cfg)
	signer, err := kms.New(ctx, client, "alias/trail-digests")
	if err != nil {
		log.Fatal(err)
	}
	chain, err := digest.NewChain(digest.ChainConfig{
		AccountID: "111122223333", Region: "eu-west-1", TrailName: "orders-audit",
		Bucket: "my-trail-bucket", Signer: signer,
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = chain // chain.Seal(ctx, start, end, logFiles) signs through KMS
}
